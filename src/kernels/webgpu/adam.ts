/**
 * The optimizer's passes on the GPU, as src/kernels/adam.ts and
 * src/kernels/decoder-constraint.ts (and native/optimizer.cc's fused rows):
 * Adam on a whole parameter; on the decoder, fused per row with the tangent
 * projection before and the renormalisation after; on the encoder, with ‖w_j‖ of
 * each updated row (the next step's cosine needs it); and α's clamp to [0, 1].
 * The bias corrections are computed on the host in float64 and passed as f32,
 * as native.ts does.
 */
import { adamDefaults } from "../adam.js";
import { type Gpu, type GpuBuffer, groupsFor } from "./gpu.js";
import { uniformWords } from "./uniform-words.js";
import { rowThreads, workgroupSumWgsl } from "./workgroup-sum.js";

const perGroup = 256;

const adamHeader = /* wgsl */ `
struct Params {
  count: u32, d: u32, nx: u32,
  beta1: f32, beta2: f32, oneMinusBeta1: f32, oneMinusBeta2: f32, step: f32, correction2: f32, epsilon: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> first: array<f32>;
@group(0) @binding(4) var<storage, read_write> second: array<f32>;
// One Adam update of element i with gradient g: updates the moments, returns the new value.
fn adam(i: u32, g: f32) -> f32 {
  let m = p.beta1 * first[i] + p.oneMinusBeta1 * g;
  let v = p.beta2 * second[i] + p.oneMinusBeta2 * g * g;
  first[i] = m;
  second[i] = v;
  return param[i] - (p.step * m) / (sqrt(v * p.correction2) + p.epsilon);
}
`;

const adamWgsl = /* wgsl */ `${adamHeader}
@compute @workgroup_size(${perGroup})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.nx * ${perGroup}u;
  if (i >= p.count) { return; }
  param[i] = adam(i, grad[i]);
}`;

/** Workgroup per decoder row: g ← g − (d_j · g) d_j (skipped when 0), Adam, then d_j ← d_j / ‖d_j‖. */
const sphereWgsl = /* wgsl */ `${adamHeader}${workgroupSumWgsl(rowThreads)}
@compute @workgroup_size(${rowThreads})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let j = wid.x + wid.y * p.nx;
  if (j >= p.count) { return; }
  let r = j * p.d;
  var s = 0.0;
  for (var c = lid; c < p.d; c += ${rowThreads}u) { s += param[r + c] * grad[r + c]; }
  let dot = workgroupSum(lid, s);
  var squares = 0.0;
  for (var c = lid; c < p.d; c += ${rowThreads}u) {
    let g = select(grad[r + c], grad[r + c] - dot * param[r + c], dot != 0.0);
    let value = adam(r + c, g);
    param[r + c] = value;
    squares += value * value;
  }
  let total = workgroupSum(lid, squares);
  let inv = select(0.0, 1.0 / sqrt(total), total > 0.0);
  for (var c = lid; c < p.d; c += ${rowThreads}u) { param[r + c] *= inv; }
}`;

const rowNormsWgsl = /* wgsl */ `${adamHeader}${workgroupSumWgsl(rowThreads)}
@group(0) @binding(5) var<storage, read_write> norms: array<f32>;
@compute @workgroup_size(${rowThreads})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let j = wid.x + wid.y * p.nx;
  if (j >= p.count) { return; }
  let r = j * p.d;
  var squares = 0.0;
  for (var c = lid; c < p.d; c += ${rowThreads}u) {
    let value = adam(r + c, grad[r + c]);
    param[r + c] = value;
    squares += value * value;
  }
  let total = workgroupSum(lid, squares);
  if (lid == 0u) { norms[j] = sqrt(total); }
}`;

const clampWgsl = /* wgsl */ `
struct Params { count: u32, nx: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> alpha: array<f32>;
@compute @workgroup_size(${perGroup})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.nx * ${perGroup}u;
  if (i >= p.count) { return; }
  alpha[i] = min(1.0, max(0.0, alpha[i]));
}`;

/** Adam's uniform: sizes, then adam.ts's constants for 1-based step t in float64, rounded to f32. */
function adamParams(count: number, d: number, nx: number, t: number, lr: number): Uint32Array {
  const { beta1, beta2, epsilon } = adamDefaults;
  return uniformWords(
    [count, d, nx],
    [beta1, beta2, 1 - beta1, 1 - beta2, lr / (1 - beta1 ** t), 1 / (1 - beta2 ** t), epsilon],
  );
}

/** Records one Adam update of `length` elements at 1-based step `t` (adam.ts adamUpdate). */
export function adamOnGpu(
  gpu: Gpu,
  param: GpuBuffer,
  grad: GpuBuffer,
  first: GpuBuffer,
  second: GpuBuffer,
  length: number,
  t: number,
  lr: number,
): void {
  if (length === 0) return;
  const groups = groupsFor(length, perGroup);
  gpu.dispatch(
    gpu.pipeline(adamWgsl, "adam"),
    [param, grad, first, second],
    groups,
    adamParams(length, 1, groups[0], t, lr),
  );
}

/**
 * Records one decoder step on the unit sphere (decoder-constraint.ts adamUpdateOnSphere):
 * per row, the tangent projection of the gradient (∂W_dec itself is left as it was,
 * as the native kernel leaves it), Adam, and renormalisation.
 */
export function adamOnSphereOnGpu(
  gpu: Gpu,
  decoder: GpuBuffer,
  grad: GpuBuffer,
  first: GpuBuffer,
  second: GpuBuffer,
  m: number,
  d: number,
  t: number,
  lr: number,
): void {
  const groups = groupsFor(m, 1);
  gpu.dispatch(
    gpu.pipeline(sphereWgsl, "adam on the sphere"),
    [decoder, grad, first, second],
    groups,
    adamParams(m, d, groups[0], t, lr),
  );
}

/** Records Adam on W_enc [m, d] then ‖w_j‖ of each updated row into `normsOut` (f32 [m]). */
export function adamRowNormsOnGpu(
  gpu: Gpu,
  encoder: GpuBuffer,
  grad: GpuBuffer,
  first: GpuBuffer,
  second: GpuBuffer,
  m: number,
  d: number,
  t: number,
  lr: number,
  normsOut: GpuBuffer,
): void {
  const groups = groupsFor(m, 1);
  gpu.dispatch(
    gpu.pipeline(rowNormsWgsl, "adam with row norms"),
    [encoder, grad, first, second, normsOut],
    groups,
    adamParams(m, d, groups[0], t, lr),
  );
}

/** Records α = clamp(θ, 0, 1) on `length` elements. */
export function clampAlphaOnGpu(gpu: Gpu, alpha: GpuBuffer, length: number): void {
  if (length === 0) return;
  const groups = groupsFor(length, perGroup);
  gpu.dispatch(gpu.pipeline(clampWgsl, "α clamp"), [alpha], groups, uniformWords([length, groups[0]]));
}
