import type { StepShape } from "./device-arrays.js";
import { type Gpu, type GpuBuffer, groupsFor } from "./gpu.js";
import { uniformWords } from "./uniform-words.js";
import { linearGroupWgsl, workgroupSumWgsl } from "./workgroup-sum.js";

const rowGroup = 64;
/** The one workgroup that normalises ω to mean 1. */
const normaliseGroup = 256;

const onesWgsl = /* wgsl */ `
struct Params { rows: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> omega: array<f32>;
${linearGroupWgsl}
@compute @workgroup_size(${rowGroup})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = linearGroup(wid, groups) * ${rowGroup}u + lid;
  if (t < P.rows) { omega[t] = 1.0; }
}
`;

const inverseSquaredNormWgsl = /* wgsl */ `
struct Params { rows: u32, d: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read_write> omega: array<f32>;
${workgroupSumWgsl(rowGroup)}
${linearGroupWgsl}
@compute @workgroup_size(${rowGroup})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = linearGroup(wid, groups);
  if (t >= P.rows) { return; }
  var s = 0.0;
  for (var c = lid; c < P.d; c += ${rowGroup}u) {
    let v = xs[t * P.d + c];
    s += v * v;
  }
  let total = workgroupSum(lid, s);
  if (lid == 0u) { omega[t] = 1.0 / max(total, 1e-12); }
}
`;

const normaliseWgsl = /* wgsl */ `
struct Params { rows: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> omega: array<f32>;
${workgroupSumWgsl(normaliseGroup)}
@compute @workgroup_size(${normaliseGroup})
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var t = lid; t < P.rows; t += ${normaliseGroup}u) { s += omega[t]; }
  let total = workgroupSum(lid, s);
  for (var t = lid; t < P.rows; t += ${normaliseGroup}u) { omega[t] = (omega[t] * f32(P.rows)) / total; }
}
`;

/**
 * Records model/loss.ts tokenWeights into `out` (f32 [rows]): ω_t = 1, or under
 * "equalize" ω_t ∝ 1/‖x̃_t‖² normalised to mean 1 over the batch.
 */
export function tokenWeightsOnGpu(
  gpu: Gpu,
  xs: GpuBuffer,
  shape: Pick<StepShape, "rows" | "d">,
  reweight: "none" | "equalize",
  out: GpuBuffer,
): void {
  const { rows, d } = shape;
  if (reweight === "none") {
    gpu.dispatch(
      gpu.pipeline(onesWgsl, "token weights: ones"),
      [out],
      groupsFor(rows, rowGroup),
      uniformWords([rows]),
    );
    return;
  }
  gpu.dispatch(
    gpu.pipeline(inverseSquaredNormWgsl, "token weights: 1/‖x̃‖²"),
    [xs, out],
    groupsFor(rows, 1),
    uniformWords([rows, d]),
  );
  gpu.dispatch(gpu.pipeline(normaliseWgsl, "token weights: mean 1"), [out], [1], uniformWords([rows]));
}
