/**
 * Σ of a strided f32 array (or of its squares) into one element, in one
 * workgroup and a fixed order: each thread sums a strided run, then a tree over
 * the threads. Deterministic (no float atomics), for short reductions: the
 * global α's gradient (over m), the global gradient norm (over every parameter).
 */
import type { Gpu, GpuBuffer } from "./gpu.js";
import { uniformWords } from "./uniform-words.js";

const threads = 256;

const treeSumWgsl = /* wgsl */ `
struct Params { count: u32, stride: u32, offset: u32, slot: u32, squared: u32, accumulate: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> source: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
var<workgroup> partial: array<f32, ${threads}>;
@compute @workgroup_size(${threads})
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < p.count; i += ${threads}u) {
    let v = source[i * p.stride + p.offset];
    s += select(v, v * v, p.squared != 0u);
  }
  partial[lid] = s;
  workgroupBarrier();
  for (var width = ${threads / 2}u; width > 0u; width >>= 1u) {
    if (lid < width) { partial[lid] += partial[lid + width]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    out[p.slot] = select(partial[0], out[p.slot] + partial[0], p.accumulate != 0u);
  }
}`;

export interface TreeSumOptions {
  /** how many values: source[i · stride + offset] for i < count */
  count: number;
  stride?: number;
  offset?: number;
  /** sum the squares */
  squared?: boolean;
  /** add the sum to out[target] instead of writing it there */
  accumulate?: boolean;
}

/** Records out[target] (+)= Σ source[i · stride + offset] (or its squares). */
export function treeSumOnGpu(
  gpu: Gpu,
  source: GpuBuffer,
  out: GpuBuffer,
  target: number,
  o: TreeSumOptions,
): void {
  const params = uniformWords([
    o.count,
    o.stride ?? 1,
    o.offset ?? 0,
    target,
    o.squared ? 1 : 0,
    o.accumulate ? 1 : 0,
  ]);
  gpu.dispatch(gpu.pipeline(treeSumWgsl, "tree sum"), [source, out], [1], params);
}
