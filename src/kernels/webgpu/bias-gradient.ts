/**
 * ∂b_dec's column sums (src/model/loss.ts, the end of backwardThroughCodes):
 *   ∂b_dec += (Σ_t G_t if the term decoded with b_dec) − Σ_j C_j w_j − Σ_t (∂n_t / n_t) x_c,t
 * each a weighted sum of rows, done in a fixed order without float atomics: every
 * thread sums one column over a chunk of `chunkRows` rows into its own partial,
 * then one pass adds the partials of each column in chunk order.
 */
import { type Gpu, type GpuBuffer, groupsFor } from "./gpu.js";
import { uniformWords } from "./uniform-words.js";

const chunkRows = 256;
const columnsPerGroup = 64;

/** A weighted row sum's source: X [rows, d] with row weights coef[r · stride + offset] (all 1 when null). */
export interface WeightedRows {
  x: GpuBuffer;
  rows: number;
  coef: GpuBuffer | null;
  stride?: number;
  offset?: number;
  sign: 1 | -1;
}

/** How many partial rows of d the sums of `sources` need. */
export function biasPartialRows(rowCounts: readonly number[]): number {
  return rowCounts.reduce((n, rows) => n + Math.max(1, Math.ceil(rows / chunkRows)), 0);
}

const partialWgsl = /* wgsl */ `
struct Params { rows: u32, d: u32, stride: u32, offset: u32, weighted: u32, base: u32, sign: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> coef: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;
@compute @workgroup_size(${columnsPerGroup})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= p.d) { return; }
  let begin = gid.y * ${chunkRows}u;
  let end = min(begin + ${chunkRows}u, p.rows);
  var s = 0.0;
  for (var r = begin; r < end; r++) {
    let w = select(1.0, coef[r * p.stride + p.offset], p.weighted != 0u);
    s += w * x[r * p.d + c];
  }
  partial[(p.base + gid.y) * p.d + c] = p.sign * s;
}`;

const finishWgsl = /* wgsl */ `
struct Params { d: u32, parts: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> bDec: array<f32>;
@compute @workgroup_size(${columnsPerGroup})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= p.d) { return; }
  var s = 0.0;
  for (var q = 0u; q < p.parts; q++) { s += partial[q * p.d + c]; }
  bDec[c] += s;
}`;

/** Records bDec[c] += Σ over `sources` of sign · Σ_r coef_r X[r, c]; `partial` holds biasPartialRows(...) · d floats. */
export function biasGradientOnGpu(
  gpu: Gpu,
  d: number,
  sources: readonly WeightedRows[],
  partial: GpuBuffer,
  bDec: GpuBuffer,
): void {
  if (sources.length === 0) return;
  const parts = biasPartialRows(sources.map((s) => s.rows));
  if (parts * d * 4 > partial.bytes)
    throw new Error(
      `${partial.name} holds ${partial.bytes / 4} floats; ∂b_dec's partial sums need ${parts * d}`,
    );
  const pipeline = gpu.pipeline(partialWgsl, "∂b_dec partial sums");
  let base = 0;
  for (const s of sources) {
    const chunks = Math.max(1, Math.ceil(s.rows / chunkRows));
    const params = uniformWords([s.rows, d, s.stride ?? 1, s.offset ?? 0, s.coef ? 1 : 0, base], [s.sign]);
    // Without weights the coefficient binding is never read; X stands in for it.
    gpu.dispatch(pipeline, [s.x, s.coef ?? s.x, partial], [groupsFor(d, columnsPerGroup)[0], chunks], params);
    base += chunks;
  }
  gpu.dispatch(
    gpu.pipeline(finishWgsl, "∂b_dec"),
    [partial, bDec],
    [groupsFor(d, columnsPerGroup)[0]],
    uniformWords([d, parts]),
  );
}
