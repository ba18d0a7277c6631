/**
 * The codes transposed to latent order on the GPU (src/kernels/sparse.ts
 * transposeCodes): latent j's entries are start[j] ≤ e < start[j + 1], in token
 * order. Deterministic without a sort over all entries: integer-atomic counts per
 * latent, an exclusive scan, an atomic-cursor scatter (whose order within a
 * segment varies between runs), then each entry's rank within its segment, which
 * puts every segment back in entry order (= token order, codes being row-ordered
 * with each latent at most once per row).
 */
import type { DeviceCodes } from "./device-arrays.js";
import { type Gpu, type GpuBuffer, groupsFor } from "./gpu.js";
import { uniformWords } from "./uniform-words.js";

/** The latent order's buffers, reused across steps. */
export interface LatentOrderBuffers {
  m: number;
  capacity: number;
  /** u32 [m + 1 + capacity]: start[0..m], then the entry ids in latent order */
  order: GpuBuffer;
  /** u32 [capacity]: the atomic scatter's result, before ranking */
  scattered: GpuBuffer;
  /** u32 [m]: the scatter's cursors */
  cursor: GpuBuffer;
}

export function createLatentOrderBuffers(gpu: Gpu, m: number, capacity: number): LatentOrderBuffers {
  return {
    m,
    capacity,
    order: gpu.createBuffer(`latent order [${m} + 1 + ${capacity}]`, (m + 1 + capacity) * 4),
    scattered: gpu.createBuffer(`scattered entries [${capacity}]`, Math.max(1, capacity) * 4),
    cursor: gpu.createBuffer(`latent cursors [${m}]`, m * 4),
  };
}

export function releaseLatentOrderBuffers(gpu: Gpu, b: LatentOrderBuffers): void {
  for (const buffer of [b.order, b.scattered, b.cursor]) gpu.release(buffer);
}

const perGroup = 256;

/** Thread per entry (of the capacity; those past rowStart[rows] do nothing). */
const header = /* wgsl */ `
struct Params { rows: u32, m: u32, nx: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> rowStart: array<u32>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
`;

const countWgsl = /* wgsl */ `${header}
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;
@compute @workgroup_size(${perGroup})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.nx * ${perGroup}u;
  if (i >= rowStart[p.rows]) { return; }
  atomicAdd(&counts[index[i]], 1u);
}`;

/** One workgroup: each thread sums a contiguous run of counts, thread 0 scans the run totals. */
const scanWgsl = /* wgsl */ `
struct Params { rows: u32, m: u32, nx: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> counts: array<u32>;
@group(0) @binding(2) var<storage, read_write> order: array<u32>;
var<workgroup> totals: array<u32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
  let per = (p.m + 255u) / 256u;
  let begin = min(lid * per, p.m);
  let end = min(begin + per, p.m);
  var s = 0u;
  for (var j = begin; j < end; j++) { s += counts[j]; }
  totals[lid] = s;
  workgroupBarrier();
  if (lid == 0u) {
    var running = 0u;
    for (var l = 0u; l < 256u; l++) {
      let v = totals[l];
      totals[l] = running;
      running += v;
    }
    order[p.m] = running;
  }
  workgroupBarrier();
  var at = totals[lid];
  for (var j = begin; j < end; j++) {
    order[j] = at;
    at += counts[j];
  }
}`;

const scatterWgsl = /* wgsl */ `${header}
@group(0) @binding(3) var<storage, read> order: array<u32>;
@group(0) @binding(4) var<storage, read_write> cursor: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> scattered: array<u32>;
@compute @workgroup_size(${perGroup})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.nx * ${perGroup}u;
  if (i >= rowStart[p.rows]) { return; }
  let j = index[i];
  scattered[order[j] + atomicAdd(&cursor[j], 1u)] = i;
}`;

/** Each scattered entry's rank among its segment's smaller entry ids: its place in token order. */
const rankWgsl = /* wgsl */ `${header}
@group(0) @binding(3) var<storage, read_write> order: array<u32>;
@group(0) @binding(4) var<storage, read> scattered: array<u32>;
@compute @workgroup_size(${perGroup})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = gid.x + gid.y * p.nx * ${perGroup}u;
  if (e >= rowStart[p.rows]) { return; }
  let i = scattered[e];
  let j = index[i];
  let begin = order[j];
  let end = order[j + 1u];
  var rank = 0u;
  for (var f = begin; f < end; f++) { rank += select(0u, 1u, scattered[f] < i); }
  order[p.m + 1u + begin + rank] = i;
}`;

/** Records output[0..count] = the exclusive prefix sums of input[0..count) (u32; output[count] the total). */
export function exclusiveScanOnGpu(gpu: Gpu, input: GpuBuffer, output: GpuBuffer, count: number): void {
  gpu.dispatch(gpu.pipeline(scanWgsl, "exclusive scan"), [input, output], [1], uniformWords([0, count, 0]));
}

/**
 * Records the latent order of `codes` into `out.order` and each latent's entry
 * count into `counts` (u32 [m]; the dead-latent tracker reads it).
 */
export function latentOrderOnGpu(
  gpu: Gpu,
  codes: DeviceCodes,
  m: number,
  out: LatentOrderBuffers,
  counts: GpuBuffer,
): void {
  if (codes.capacity > out.capacity || m !== out.m)
    throw new Error(
      `the latent order's buffers hold ${out.capacity} entries of ${out.m} latents, but ${codes.capacity} ` +
        `entries of ${m} latents were given; create them with the step's sizes`,
    );
  const groups = groupsFor(codes.capacity, perGroup);
  const params = uniformWords([codes.rows, m, groups[0]]);
  gpu.clear(counts);
  gpu.clear(out.cursor);
  gpu.dispatch(
    gpu.pipeline(countWgsl, "latent counts"),
    [codes.rowStart, codes.index, counts],
    groups,
    params,
  );
  exclusiveScanOnGpu(gpu, counts, out.order, m);
  gpu.dispatch(
    gpu.pipeline(scatterWgsl, "latent scatter"),
    [codes.rowStart, codes.index, out.order, out.cursor, out.scattered],
    groups,
    params,
  );
  gpu.dispatch(
    gpu.pipeline(rankWgsl, "latent order by token"),
    [codes.rowStart, codes.index, out.order, out.scattered],
    groups,
    params,
  );
}
