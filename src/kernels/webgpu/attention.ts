/**
 * Causal multi-head attention on the GPU (the contract of
 * src/transformer/causal-attention.ts): one invocation per (token, head) walks
 * the keys of its sequence in order with an online softmax (running maximum and
 * sum, the accumulator rescaled when the maximum grows), so its result is one
 * fixed-order fp32 sum: the same bits on the same adapter. Grouped key/value
 * heads, Gemma 2's soft-cap and sliding windows as on the CPU. The query and the
 * accumulator live in per-invocation arrays of headSize floats (the shader is
 * compiled per head size).
 */
import type { AttentionHeads } from "../device-extras.js";
import { type Gpu, type GpuBuffer, GpuError, groupsFor } from "./gpu.js";

const groupSize = 64;

function attentionWgsl(headSize: number): string {
  return /* wgsl */ `
struct Params { rows: u32, heads: u32, group: u32, stride: u32, dim: u32, kvDim: u32, window: u32,
  scale: f32, softcap: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;
// The first row of each row's sequence.
@group(0) @binding(2) var<storage, read> sequenceStart: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const HS = ${headSize}u;

// tanh without overflow for large |x| (as exp(2x) would).
fn safeTanh(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}

@compute @workgroup_size(${groupSize})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let id = gid.x + gid.y * groups.x * ${groupSize}u;
  if (id >= p.rows * p.heads) { return; }
  let row = id / p.heads;
  let h = id % p.heads;
  let kvh = h / p.group;
  var q: array<f32, ${headSize}>;
  var acc: array<f32, ${headSize}>;
  let qBase = row * p.stride + h * HS;
  for (var i = 0u; i < HS; i++) {
    q[i] = qkv[qBase + i] * p.scale;
    acc[i] = 0.0;
  }
  var first = sequenceStart[row];
  if (p.window > 0u && row + 1u > first + p.window) { first = row + 1u - p.window; }
  var best = -3.0e38;
  var total = 0.0;
  for (var s = first; s <= row; s++) {
    let kBase = s * p.stride + p.dim + kvh * HS;
    var dot = 0.0;
    for (var i = 0u; i < HS; i++) { dot = fma(q[i], qkv[kBase + i], dot); }
    if (p.softcap > 0.0) { dot = p.softcap * safeTanh(dot / p.softcap); }
    if (dot > best) {
      let c = exp(best - dot);
      total *= c;
      for (var i = 0u; i < HS; i++) { acc[i] *= c; }
      best = dot;
    }
    let e = exp(dot - best);
    total += e;
    let vBase = kBase + p.kvDim;
    for (var i = 0u; i < HS; i++) { acc[i] = fma(e, qkv[vBase + i], acc[i]); }
  }
  let oBase = row * p.dim + h * HS;
  let inv = 1.0 / total;
  for (var i = 0u; i < HS; i++) { out[oBase + i] = acc[i] * inv; }
}
`;
}

/**
 * Records out[rows, heads·headSize] = causal attention over `qkv` [rows,
 * (heads + 2·kvHeads)·headSize]; `sequenceStart` (u32 [rows]) holds the first row
 * of each row's sequence.
 */
export function encodeCausalAttention(
  gpu: Gpu,
  qkv: GpuBuffer,
  sequenceStart: GpuBuffer,
  out: GpuBuffer,
  rows: number,
  shape: AttentionHeads,
): void {
  const { heads, kvHeads, headSize } = shape;
  if (heads % kvHeads !== 0)
    throw new GpuError(`attention: ${heads} query heads do not share ${kvHeads} key/value heads evenly`);
  const dim = heads * headSize;
  const kvDim = kvHeads * headSize;
  const stride = dim + 2 * kvDim;
  if (rows * stride * 4 > qkv.bytes || rows * 4 > sequenceStart.bytes || rows * dim * 4 > out.bytes)
    throw new GpuError(
      `attention over ${rows} rows of ${stride} needs more than ${qkv.name}, ${sequenceStart.name} or ${out.name} hold`,
    );
  if (rows === 0) return;
  const params = new ArrayBuffer(36);
  new Uint32Array(params, 0, 7).set([rows, heads, heads / kvHeads, stride, dim, kvDim, shape.window ?? 0]);
  new Float32Array(params, 28, 2).set([shape.scale ?? 1 / Math.sqrt(headSize), shape.softcap ?? 0]);
  gpu.dispatch(
    gpu.pipeline(attentionWgsl(headSize), `causal attention (head size ${headSize})`),
    [qkv, sequenceStart, out],
    groupsFor(rows * heads, groupSize),
    new Uint8Array(params),
  );
}

/** The first row of each row's sequence, for encodeCausalAttention. */
export function sequenceStarts(sequenceLengths: readonly number[] | Int32Array): Uint32Array {
  let rows = 0;
  for (const n of sequenceLengths) rows += n;
  const starts = new Uint32Array(rows);
  let row = 0;
  for (const n of sequenceLengths) {
    starts.fill(row, row, row + n);
    row += n;
  }
  return starts;
}
