/**
 * The decoder's unit-sphere constraint as separate passes (src/kernels/decoder-constraint.ts),
 * for the step that clips the gradient norm: the projection must come before the
 * global norm and the renormalisation after the plain Adam step. Without clipping,
 * adam.ts's adamOnSphereOnGpu fuses the three per row.
 */
import { type Gpu, type GpuBuffer, groupsFor } from "./gpu.js";
import { uniformWords } from "./uniform-words.js";
import { rowThreads, workgroupSumWgsl } from "./workgroup-sum.js";

const header = /* wgsl */ `
struct Params { m: u32, d: u32, nx: u32 }
@group(0) @binding(0) var<uniform> p: Params;
`;

/** g_j ← g_j − (d_j · g_j) d_j, skipped when the component is exactly 0. */
const projectWgsl = /* wgsl */ `${header}${workgroupSumWgsl(rowThreads)}
@group(0) @binding(1) var<storage, read> decoder: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@compute @workgroup_size(${rowThreads})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let j = wid.x + wid.y * p.nx;
  if (j >= p.m) { return; }
  let r = j * p.d;
  var s = 0.0;
  for (var c = lid; c < p.d; c += ${rowThreads}u) { s += decoder[r + c] * grad[r + c]; }
  let dot = workgroupSum(lid, s);
  if (dot == 0.0) { return; }
  for (var c = lid; c < p.d; c += ${rowThreads}u) { grad[r + c] -= dot * decoder[r + c]; }
}`;

const normaliseWgsl = /* wgsl */ `${header}${workgroupSumWgsl(rowThreads)}
@group(0) @binding(1) var<storage, read_write> decoder: array<f32>;
@compute @workgroup_size(${rowThreads})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let j = wid.x + wid.y * p.nx;
  if (j >= p.m) { return; }
  let r = j * p.d;
  var s = 0.0;
  for (var c = lid; c < p.d; c += ${rowThreads}u) { s += decoder[r + c] * decoder[r + c]; }
  let total = workgroupSum(lid, s);
  let inv = select(0.0, 1.0 / sqrt(total), total > 0.0);
  for (var c = lid; c < p.d; c += ${rowThreads}u) { decoder[r + c] *= inv; }
}`;

/** Records the projection of each row of ∂W_dec onto its decoder row's tangent space. */
export function projectToTangentOnGpu(
  gpu: Gpu,
  decoder: GpuBuffer,
  grad: GpuBuffer,
  m: number,
  d: number,
): void {
  const groups = groupsFor(m, 1);
  gpu.dispatch(
    gpu.pipeline(projectWgsl, "tangent projection"),
    [decoder, grad],
    groups,
    uniformWords([m, d, groups[0]]),
  );
}

/** Records d_j ← d_j / ‖d_j‖ (0 rows stay 0). */
export function normaliseRowsOnGpu(gpu: Gpu, decoder: GpuBuffer, m: number, d: number): void {
  const groups = groupsFor(m, 1);
  gpu.dispatch(
    gpu.pipeline(normaliseWgsl, "row normalisation"),
    [decoder],
    groups,
    uniformWords([m, d, groups[0]]),
  );
}
