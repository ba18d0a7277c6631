/**
 * The O(nnz·d) part of the backward pass on the GPU (src/kernels/sparse.ts
 * latentBackward): per latent, in token order, ∂d_j (+)= Σ z q G_t and
 * ∂w_j (+)= Σ (u h) x_c,t, then ∂w_j += (∂‖w_j‖ / ‖w_j‖) w_j. Each W row and
 * gradient row is read and written once per block, never by two workgroups.
 */
import { backwardFlag, backwardParams, backwardParamsWgsl } from "./backward-params.js";
import type { DeviceParams } from "./device-arrays.js";
import type { EntryPassArgs } from "./entry-terms.js";
import { type Gpu, type GpuBuffer, groupsFor } from "./gpu.js";
import { exclusiveScanOnGpu } from "./latent-order.js";

const perGroup = 256;
const rowThreads = 256;
/** entries per block */
const blockEntries = 64;

/** The most blocks past each latent's first that `capacity` entries can make: Σ_j ⌊(len_j − 1) / S⌋ ≤ ⌊capacity / S⌋. */
function furtherBlocks(capacity: number): number {
  return Math.floor(capacity / blockEntries);
}

/** The blocks' scratch, for codes of up to `capacity` entries. */
export interface GradientRowBuffers {
  capacity: number;
  /** u32 [m]: each latent's blocks past its first */
  extraBlocks: GpuBuffer;
  /** u32 [m + 1 + most further blocks]: each latent's first further block, then each further block's latent */
  blocks: GpuBuffer;
  /** the further blocks' partial rows of ∂W_dec and ∂W_enc [most further blocks, 2, d] */
  blockPartial: GpuBuffer;
}

export function createGradientRowBuffers(
  gpu: Gpu,
  m: number,
  d: number,
  capacity: number,
): GradientRowBuffers {
  const most = furtherBlocks(capacity);
  return {
    capacity,
    extraBlocks: gpu.createBuffer(`backward further blocks [${m}]`, m * 4),
    blocks: gpu.createBuffer(`backward blocks [${m} + 1 + ${most}]`, (m + 1 + most) * 4),
    blockPartial: gpu.createBuffer(`backward block rows [${most}, 2, ${d}]`, Math.max(1, most) * 2 * d * 4),
  };
}

export function releaseGradientRowBuffers(gpu: Gpu, b: GradientRowBuffers): void {
  for (const buffer of [b.extraBlocks, b.blocks, b.blockPartial]) gpu.release(buffer);
}

/**
 * The gradient rows ∂d_j (+)= Σ z q G_t and ∂w_j (+)= Σ (u h) x_c,t, in blocks of
 * blockEntries entries so that a long segment is spread over many workgroups: each latent's
 * first block goes straight into its rows (5a), every further block into a partial row
 * pair (5b), then the partials are added in block order (5c). In a block, thread lid
 * owns columns c ≡ lid (mod rowThreads) and adds the entries in token order.
 */
const blockWgsl = /* wgsl */ `
var<workgroup> token: array<u32, ${blockEntries}>;
var<workgroup> decoderCoef: array<f32, ${blockEntries}>;
var<workgroup> encoderCoef: array<f32, ${blockEntries}>;
// Stages entries [lo, hi) of the latent order in workgroup memory; returns how many.
fn stageBlock(lid: u32, lo: u32, hi: u32) -> u32 {
  if (lid < hi - lo) {
    let E = entries[order[p.m + 1u + lo + lid]];
    token[lid] = E.token * p.d;
    decoderCoef[lid] = E.zq;
    encoderCoef[lid] = E.u * E.h;
  }
  workgroupBarrier();
  return hi - lo;
}
// Column c's two sums over the staged entries, from (dd, dw).
fn blockSums(c: u32, n: u32, start: vec2<f32>) -> vec2<f32> {
  var s = start;
  for (var q = 0u; q < n; q++) {
    let x = token[q] + c;
    s += vec2<f32>(decoderCoef[q] * upstream[x], encoderCoef[q] * xc[x]);
  }
  return s;
}`;

/** 5a: each latent's first block into its rows (overwritten or added to). */
const firstBlockWgsl = /* wgsl */ `${backwardParamsWgsl}
@group(0) @binding(1) var<storage, read> order: array<u32>;
@group(0) @binding(2) var<storage, read> entries: array<Entry>;
@group(0) @binding(3) var<storage, read> upstream: array<f32>;
@group(0) @binding(4) var<storage, read> xc: array<f32>;
@group(0) @binding(5) var<storage, read_write> gradDecoder: array<f32>;
@group(0) @binding(6) var<storage, read_write> gradEncoder: array<f32>;
${blockWgsl}
var<workgroup> segment: vec2<u32>;
@compute @workgroup_size(${rowThreads})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let j = wid.x + wid.y * p.nx;
  if (j >= p.m) { return; }
  if (lid == 0u) { segment = vec2<u32>(order[j], order[j + 1u]); }
  let seg = workgroupUniformLoad(&segment);
  let n = stageBlock(lid, seg.x, min(seg.y, seg.x + ${blockEntries}u));
  let r = j * p.d;
  let overwrite = has(${backwardFlag.overwrite}u);
  for (var c = lid; c < p.d; c += ${rowThreads}u) {
    let start = select(vec2<f32>(gradDecoder[r + c], gradEncoder[r + c]), vec2<f32>(0.0, 0.0), overwrite);
    let s = blockSums(c, n, start);
    gradDecoder[r + c] = s.x;
    gradEncoder[r + c] = s.y;
  }
}`;

/** Each latent's count of further blocks (its segment past the first blockEntries entries). */
const extraBlocksWgsl = /* wgsl */ `${backwardParamsWgsl}
@group(0) @binding(1) var<storage, read> order: array<u32>;
@group(0) @binding(2) var<storage, read_write> extra: array<u32>;
@compute @workgroup_size(${perGroup})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x + gid.y * p.nx * ${perGroup}u;
  if (j >= p.m) { return; }
  let len = order[j + 1u] - order[j];
  extra[j] = select(0u, (len - 1u) / ${blockEntries}u, len > 0u);
}`;

/** blocks = [first further block of each latent (m + 1, a scan) | the latent of each further block]. */
const blockLatentsWgsl = /* wgsl */ `${backwardParamsWgsl}
@group(0) @binding(1) var<storage, read_write> blocks: array<u32>;
@compute @workgroup_size(${perGroup})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x + gid.y * p.nx * ${perGroup}u;
  if (j >= p.m) { return; }
  for (var k = blocks[j]; k < blocks[j + 1u]; k++) { blocks[p.m + 1u + k] = j; }
}`;

/** 5b: further block k of latent j into partial rows k (dispatched for the most blocks there can be). */
const furtherBlockWgsl = /* wgsl */ `${backwardParamsWgsl}
@group(0) @binding(1) var<storage, read> order: array<u32>;
@group(0) @binding(2) var<storage, read> entries: array<Entry>;
@group(0) @binding(3) var<storage, read> upstream: array<f32>;
@group(0) @binding(4) var<storage, read> xc: array<f32>;
@group(0) @binding(5) var<storage, read> blocks: array<u32>;
@group(0) @binding(6) var<storage, read_write> partial: array<f32>;
${blockWgsl}
var<workgroup> range: vec3<u32>;
@compute @workgroup_size(${rowThreads})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k = wid.x + wid.y * p.nx;
  if (lid == 0u) {
    range = vec3<u32>(0u, 0u, 0u);
    if (k < blocks[p.m]) {
      let j = blocks[p.m + 1u + k];
      let lo = order[j] + (k - blocks[j] + 1u) * ${blockEntries}u;
      range = vec3<u32>(lo, min(order[j + 1u], lo + ${blockEntries}u), 1u);
    }
  }
  let block = workgroupUniformLoad(&range);
  if (block.z == 0u) { return; }
  let n = stageBlock(lid, block.x, block.y);
  let r = k * 2u * p.d;
  for (var c = lid; c < p.d; c += ${rowThreads}u) {
    let s = blockSums(c, n, vec2<f32>(0.0, 0.0));
    partial[r + c] = s.x;
    partial[r + p.d + c] = s.y;
  }
}`;

/** 5c: the further blocks' partials in block order, then ∂w_j += (∂‖w_j‖ / ‖w_j‖) w_j. */
const finishRowsWgsl = /* wgsl */ `${backwardParamsWgsl}
@group(0) @binding(1) var<storage, read> blocks: array<u32>;
@group(0) @binding(2) var<storage, read> partial: array<f32>;
@group(0) @binding(3) var<storage, read> encoder: array<f32>;
@group(0) @binding(4) var<storage, read> sums: array<f32>;
@group(0) @binding(5) var<storage, read_write> gradDecoder: array<f32>;
@group(0) @binding(6) var<storage, read_write> gradEncoder: array<f32>;
@compute @workgroup_size(${rowThreads})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let j = wid.x + wid.y * p.nx;
  if (j >= p.m) { return; }
  let r = j * p.d;
  let normScale = sums[j * 8u + 5u];
  let firstBlock = blocks[j];
  let endBlock = blocks[j + 1u];
  for (var c = lid; c < p.d; c += ${rowThreads}u) {
    var dd = gradDecoder[r + c];
    var dw = gradEncoder[r + c];
    for (var k = firstBlock; k < endBlock; k++) {
      dd += partial[k * 2u * p.d + c];
      dw += partial[k * 2u * p.d + p.d + c];
    }
    gradDecoder[r + c] = dd;
    gradEncoder[r + c] = select(dw, dw + normScale * encoder[r + c], normScale != 0.0);
  }
}`;

/** Records pass 5 into `grads.decoder` and `grads.encoder` (overwritten with `a.overwrite`). */
export function gradientRowsOnGpu(
  gpu: Gpu,
  a: EntryPassArgs,
  grads: DeviceParams,
  b: GradientRowBuffers,
): void {
  const { m } = a.shape;
  const { batch, params } = a;
  const pipe = (wgsl: string, label: string) => gpu.pipeline(wgsl, label);
  const rowGroups = groupsFor(m, 1);
  const rowParams = backwardParams(a.shape, a, rowGroups[0]);
  gpu.dispatch(
    pipe(firstBlockWgsl, "backward gradient rows"),
    [a.order, a.entries, a.upstream, batch.xc, grads.decoder, grads.encoder],
    rowGroups,
    rowParams,
  );
  const most = furtherBlocks(b.capacity);
  if (most > 0) {
    const latentGroups = groupsFor(m, perGroup);
    const latentParams = backwardParams(a.shape, a, latentGroups[0]);
    gpu.dispatch(
      pipe(extraBlocksWgsl, "backward further blocks"),
      [a.order, b.extraBlocks],
      latentGroups,
      latentParams,
    );
    exclusiveScanOnGpu(gpu, b.extraBlocks, b.blocks, m);
    gpu.dispatch(pipe(blockLatentsWgsl, "backward block latents"), [b.blocks], latentGroups, latentParams);
    const blockGroups = groupsFor(most, 1);
    gpu.dispatch(
      pipe(furtherBlockWgsl, "backward further gradient rows"),
      [a.order, a.entries, a.upstream, batch.xc, b.blocks, b.blockPartial],
      blockGroups,
      backwardParams(a.shape, a, blockGroups[0]),
    );
  } else {
    gpu.clear(b.blocks);
  }
  gpu.dispatch(
    pipe(finishRowsWgsl, "backward gradient rows' sums"),
    [b.blocks, b.blockPartial, params.encoder, a.sums, grads.decoder, grads.encoder],
    rowGroups,
    rowParams,
  );
}
