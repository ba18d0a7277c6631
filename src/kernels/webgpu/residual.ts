import type { StepShape } from "./device-arrays.js";
import { type Gpu, type GpuBuffer, groupsFor } from "./gpu.js";
import { scratchBuffer } from "./scratch.js";
import { uniformWords } from "./uniform-words.js";
import { linearGroupWgsl, workgroupSumWgsl } from "./workgroup-sum.js";

const rowGroup = 64;
/** Rows per partial column sum of centredSumOfSquares (its first pass). */
const columnChunk = 64;
/** The one workgroup that adds the per-row sums. */
const totalGroup = 256;

/**
 * The coefficient of the upstream gradient: `factor`, or `factor / scalars[slot]` read
 * on the device — AuxK's −2λ / Σ‖e − ē‖² — which is 0 unless that denominator is > 0
 * (model/loss.ts auxkTerm: no AuxK term when it is not).
 */
export interface UpstreamCoefficient {
  factor: number;
  over?: { scalars: GpuBuffer; slot: number };
}

function residualWgsl(weighted: boolean, overDevice: boolean): string {
  return /* wgsl */ `
struct Params { rows: u32, d: u32, slot: u32, factor: f32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> targetRows: array<f32>;
@group(0) @binding(2) var<storage, read_write> estimate: array<f32>;
@group(0) @binding(3) var<storage, read_write> upstream: array<f32>;
@group(0) @binding(4) var<storage, read_write> tokenSse: array<f32>;
${weighted ? "@group(0) @binding(5) var<storage, read> weight: array<f32>;" : ""}
${overDevice ? `@group(0) @binding(${weighted ? 6 : 5}) var<storage, read> scalars: array<f32>;` : ""}
${workgroupSumWgsl(rowGroup)}
${linearGroupWgsl}
@compute @workgroup_size(${rowGroup})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = linearGroup(wid, groups);
  if (t >= P.rows) { return; }
  ${
    overDevice
      ? `let denominator = scalars[P.slot];
  let coef = select(0.0, P.factor / denominator, denominator > 0.0);`
      : "let coef = P.factor;"
  }
  let scale = coef${weighted ? " * weight[t]" : ""};
  var s = 0.0;
  for (var c = lid; c < P.d; c += ${rowGroup}u) {
    let i = t * P.d + c;
    let e = targetRows[i] - estimate[i];
    estimate[i] = e;
    s += e * e;
    upstream[i] = scale * e;
  }
  let total = workgroupSum(lid, s);
  if (lid == 0u) { tokenSse[t] = total; }
}
`;
}

/**
 * Records kernels/residual.ts residualUpstream on the device: in place `estimate`
 * becomes e = target − estimate, upstream = coef · ω_t · e (ω = 1 when `weight` is
 * null), tokenSse[t] = Σ_c e² (f32 [rows]).
 */
export function residualUpstreamOnGpu(
  gpu: Gpu,
  target: GpuBuffer,
  estimate: GpuBuffer,
  weight: GpuBuffer | null,
  shape: Pick<StepShape, "rows" | "d">,
  coef: UpstreamCoefficient,
  upstream: GpuBuffer,
  tokenSse: GpuBuffer,
): void {
  const buffers = [target, estimate, upstream, tokenSse];
  if (weight) buffers.push(weight);
  if (coef.over) buffers.push(coef.over.scalars);
  gpu.dispatch(
    gpu.pipeline(residualWgsl(weight !== null, coef.over !== undefined), "residual and upstream"),
    buffers,
    groupsFor(shape.rows, 1),
    uniformWords([shape.rows, shape.d, coef.over?.slot ?? 0], [coef.factor]),
  );
}

const columnPartialsWgsl = /* wgsl */ `
struct Params { rows: u32, d: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> v: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;
@compute @workgroup_size(${rowGroup})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= P.d) { return; }
  let first = gid.y * ${columnChunk}u;
  let last = min(P.rows, first + ${columnChunk}u);
  var s = 0.0;
  for (var t = first; t < last; t++) { s += v[t * P.d + c]; }
  partial[gid.y * P.d + c] = s;
}
`;

const columnMeansWgsl = /* wgsl */ `
struct Params { rows: u32, d: u32, chunks: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> mean: array<f32>;
@compute @workgroup_size(${rowGroup})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= P.d) { return; }
  var s = 0.0;
  for (var k = 0u; k < P.chunks; k++) { s += partial[k * P.d + c]; }
  mean[c] = s / f32(P.rows);
}
`;

const rowDeviationsWgsl = /* wgsl */ `
struct Params { rows: u32, d: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> v: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read_write> rowSum: array<f32>;
${workgroupSumWgsl(rowGroup)}
${linearGroupWgsl}
@compute @workgroup_size(${rowGroup})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = linearGroup(wid, groups);
  if (t >= P.rows) { return; }
  var s = 0.0;
  for (var c = lid; c < P.d; c += ${rowGroup}u) {
    let u = v[t * P.d + c] - mean[c];
    s += u * u;
  }
  let total = workgroupSum(lid, s);
  if (lid == 0u) { rowSum[t] = total; }
}
`;

const totalWgsl = /* wgsl */ `
struct Params { rows: u32, slot: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> rowSum: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${workgroupSumWgsl(totalGroup)}
@compute @workgroup_size(${totalGroup})
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var t = lid; t < P.rows; t += ${totalGroup}u) { s += rowSum[t]; }
  let total = workgroupSum(lid, s);
  if (lid == 0u) { out[P.slot] = total; }
}
`;

/**
 * Records kernels/residual.ts centredSumOfSquares on the device: out[slot] = Σ_t ‖V_t − V̄‖²
 * for V [rows, d] — the FVU's denominator on x̃ and AuxK's on e. Two passes as the
 * reference: the column means (partial sums over chunks of rows, then over the
 * chunks), then the squared deviations (per row, then over rows), all in fixed order.
 */
export function centredSumOfSquaresOnGpu(
  gpu: Gpu,
  v: GpuBuffer,
  shape: Pick<StepShape, "rows" | "d">,
  out: GpuBuffer,
  slot: number,
): void {
  const { rows, d } = shape;
  const chunks = Math.ceil(rows / columnChunk);
  const partial = scratchBuffer(gpu, "centred sum of squares: column partials", chunks * d * 4);
  const mean = scratchBuffer(gpu, "centred sum of squares: column means", d * 4);
  const rowSum = scratchBuffer(gpu, "centred sum of squares: row sums", rows * 4);
  const columnGroups = Math.ceil(d / rowGroup);
  gpu.dispatch(
    gpu.pipeline(columnPartialsWgsl, "centred sum of squares: column partials"),
    [v, partial],
    [columnGroups, chunks],
    uniformWords([rows, d]),
  );
  gpu.dispatch(
    gpu.pipeline(columnMeansWgsl, "centred sum of squares: column means"),
    [partial, mean],
    [columnGroups],
    uniformWords([rows, d, chunks]),
  );
  gpu.dispatch(
    gpu.pipeline(rowDeviationsWgsl, "centred sum of squares: row deviations"),
    [v, mean, rowSum],
    groupsFor(rows, 1),
    uniformWords([rows, d]),
  );
  gpu.dispatch(
    gpu.pipeline(totalWgsl, "centred sum of squares: total"),
    [rowSum, out],
    [1],
    uniformWords([rows, slot]),
  );
}
