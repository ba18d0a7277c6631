/**
 * The backward pass of a training step on the GPU: src/model/loss.ts
 * backwardThroughCodes and backwardTraining, with src/kernels/entry-terms.ts's
 * per-entry math and src/kernels/sparse.ts's latent-ordered scatters, recorded
 * (no await) on the device arrays of device-arrays.ts.
 *
 * Passes, each deterministic (no float atomics; every sum in a fixed order):
 *   1. per entry: its token t, z, q, f = r^α, the decoder coefficient z q and h;
 *   2. the latent order (latent-order.ts) and the per-latent entry counts;
 *   3. per entry (a workgroup each): u = G_t · d_j and a = x_c,t · w_j;
 *   4. per latent, over its entries in token order: ∂b_enc_j, ∂γ_j, ∂α_j, C_j, ∂‖w_j‖
 *      (the host adds each latent's entries in row order too);
 *   5. per block of a latent's entries: the rows ∂d_j (+)= Σ z q G_t and ∂w_j (+)= Σ (u h) x_c,t,
 *      the blocks added in order, then ∂w_j += (∂‖w_j‖ / ‖w_j‖) w_j;
 *   6. the per-latent sums into ∂b_enc, ∂γ, ∂α (blend's one α: a tree sum over latents);
 *   7. per token, over its entries in row order: ∂n_t (centred cosine only);
 *   8. ∂b_dec (bias-gradient.ts).
 * Every shader binds at most 8 storage buffers, so per-entry and per-latent values
 * travel packed: an entry record of 8 words, the latent terms as one vec4 per latent.
 */
import { type ScoreKind, scoreFacts } from "../score-family.js";
import { biasGradientOnGpu, biasPartialRows, type WeightedRows } from "./bias-gradient.js";
import type {
  DeviceBatch,
  DeviceCodes,
  DeviceLatentTerms,
  DeviceParams,
  StepShape,
} from "./device-arrays.js";
import { type Gpu, type GpuBuffer, groupsFor } from "./gpu.js";
import {
  createLatentOrderBuffers,
  exclusiveScanOnGpu,
  type LatentOrderBuffers,
  latentOrderOnGpu,
  releaseLatentOrderBuffers,
} from "./latent-order.js";
import { treeSumOnGpu } from "./tree-sum.js";
import { uniformWords } from "./uniform-words.js";

export interface BackwardArgs {
  shape: StepShape;
  score: ScoreKind;
  equivariant: boolean;
  /** cosineOf "centred": the score reads x_c = x̃ − b_dec, so b_dec gets the score path's gradient */
  centred: boolean;
  codes: DeviceCodes;
  /** G = ∂L/∂x̂ [rows, d] */
  upstream: GpuBuffer;
  batch: DeviceBatch;
  params: DeviceParams;
  terms: DeviceLatentTerms;
  grads: DeviceParams;
  /** whether x̂ contained b_dec (the main term) or not (AuxK's ê) */
  includeBias: boolean;
  /** write every row of ∂W_enc and ∂W_dec (rows without entries become 0) instead of adding */
  overwrite: boolean;
}

/** The scratch buffers of the backward pass, sized for a step's shape; reuse them across steps. */
export interface BackwardBuffers {
  rows: number;
  d: number;
  m: number;
  capacity: number;
  order: LatentOrderBuffers;
  /** 8 words per entry: token, z, q, f, z q, h, u, a */
  entries: GpuBuffer;
  /** vec4 per latent: ‖w_j‖, g_j, α_j, 0 */
  latents: GpuBuffer;
  /** 8 floats per latent: ∂b_enc, ∂γ, ∂α, C_j, ∂‖w_j‖, ∂‖w_j‖/‖w_j‖ */
  sums: GpuBuffer;
  /** u32 [m]: each latent's blocks past its first (of blockEntries entries) */
  extraBlocks: GpuBuffer;
  /** u32 [m + 1 + most further blocks]: each latent's first further block, then each further block's latent */
  blocks: GpuBuffer;
  /** the further blocks' partial rows of ∂W_dec and ∂W_enc [most further blocks, 2, d] */
  blockPartial: GpuBuffer;
  /** −∂n_t / n_t [rows] */
  tokenScale: GpuBuffer;
  /** ∂b_dec's partial column sums */
  biasPartial: GpuBuffer;
  /** u32 [m]: each latent's entries in the main term's codes (backwardTrainingOnGpu writes it) */
  latentCounts: GpuBuffer;
  /** u32 [m]: the counts of any other call */
  otherCounts: GpuBuffer;
}

/** `capacity`: the most entries of any codes given (the main term's B·k, AuxK's B·kAux). */
export function createBackwardBuffers(gpu: Gpu, shape: StepShape, capacity: number): BackwardBuffers {
  const { rows, d, m } = shape;
  const most = furtherBlocks(capacity);
  return {
    rows,
    d,
    m,
    capacity,
    order: createLatentOrderBuffers(gpu, m, capacity),
    entries: gpu.createBuffer(`backward entry records [${capacity}, 8]`, Math.max(1, capacity) * 32),
    latents: gpu.createBuffer(`backward latent terms [${m}, 4]`, m * 16),
    sums: gpu.createBuffer(`backward latent sums [${m}, 8]`, m * 32),
    extraBlocks: gpu.createBuffer(`backward further blocks [${m}]`, m * 4),
    blocks: gpu.createBuffer(`backward blocks [${m} + 1 + ${most}]`, (m + 1 + most) * 4),
    blockPartial: gpu.createBuffer(`backward block rows [${most}, 2, ${d}]`, Math.max(1, most) * 2 * d * 4),
    tokenScale: gpu.createBuffer(`backward ∂n/n [${rows}]`, rows * 4),
    biasPartial: gpu.createBuffer(`∂b_dec partials [${d}]`, biasPartialRows([rows, m, rows]) * d * 4),
    latentCounts: gpu.createBuffer(`latent counts [${m}]`, m * 4),
    otherCounts: gpu.createBuffer(`other latent counts [${m}]`, m * 4),
  };
}

export function releaseBackwardBuffers(gpu: Gpu, b: BackwardBuffers): void {
  releaseLatentOrderBuffers(gpu, b.order);
  for (const buffer of [
    b.entries,
    b.latents,
    b.sums,
    b.extraBlocks,
    b.blocks,
    b.blockPartial,
    b.tokenScale,
    b.biasPartial,
    b.latentCounts,
    b.otherCounts,
  ])
    gpu.release(buffer);
}

const perGroup = 256;
const rowThreads = 256;
const dotThreads = 64;
const sumThreads = 64;
/** entries per block of the gradient-row pass */
const blockEntries = 64;

/** The most blocks past each latent's first that `capacity` entries can make: Σ_j ⌊(len_j − 1) / S⌋ ≤ ⌊capacity / S⌋. */
function furtherBlocks(capacity: number): number {
  return Math.floor(capacity / blockEntries);
}

/** Flags of Params.flags. */
const flag = {
  cosine: 1,
  learnsAlpha: 2,
  globalAlpha: 4,
  equivariant: 8,
  centred: 16,
  overwrite: 32,
} as const;

/** The uniform every backward shader reads (fields it does not use are ignored). */
const paramsWgsl = /* wgsl */ `
struct Params { rows: u32, d: u32, m: u32, nx: u32, flags: u32, nu: f32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
struct Entry { token: u32, z: f32, q: f32, f: f32, zq: f32, h: f32, u: f32, a: f32 }
fn has(bit: u32) -> bool { return (p.flags & bit) != 0u; }
// ln r_t, as loss.ts: ln max(n / ν, smallest float)
fn logRatio(n: f32) -> f32 { return log(max(n / p.nu, 1.17549435e-38)); }
`;

const latentTermsWgsl = /* wgsl */ `${paramsWgsl}
@group(0) @binding(1) var<storage, read> encoderNorm: array<f32>;
@group(0) @binding(2) var<storage, read> gain: array<f32>;
@group(0) @binding(3) var<storage, read> alpha: array<f32>;
@group(0) @binding(4) var<storage, read_write> latents: array<vec4<f32>>;
@compute @workgroup_size(${perGroup})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x + gid.y * p.nx * ${perGroup}u;
  if (j >= p.m) { return; }
  latents[j] = vec4<f32>(encoderNorm[j], gain[j], alpha[j], 0.0);
}`;

/** Pass 1: the token of entry i (rowStart[t] ≤ i < rowStart[t + 1], by bisection), q, f, z q and h. */
const entryWgsl = /* wgsl */ `${paramsWgsl}
@group(0) @binding(1) var<storage, read> rowStart: array<u32>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
@group(0) @binding(3) var<storage, read> value: array<f32>;
@group(0) @binding(4) var<storage, read> norm: array<f32>;
@group(0) @binding(5) var<storage, read> latents: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> entries: array<Entry>;
@compute @workgroup_size(${perGroup})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.nx * ${perGroup}u;
  if (i >= rowStart[p.rows]) { return; }
  var lo = 0u;
  var hi = p.rows;
  while (hi - lo > 1u) {
    let mid = (lo + hi) / 2u;
    if (rowStart[mid] <= i) { lo = mid; } else { hi = mid; }
  }
  let t = lo;
  let L = latents[index[i]];
  let n = norm[t];
  let logR = logRatio(n);
  let z = value[i];
  let q = select(1.0, exp((1.0 - L.z) * logR), has(${flag.equivariant}u));
  let f = select(1.0, exp(L.z * logR), has(${flag.learnsAlpha}u));
  let h = select(q, q * L.y * f / (L.x * n + p.eps), has(${flag.cosine}u));
  entries[i] = Entry(t, z, q, f, z * q, h, 0.0, 0.0);
}`;

/**
 * Pass 3: workgroup per entry (coalesced row reads): u = G_t · d_j and a = x_c,t · w_j,
 * each thread summing its columns c ≡ lid (mod ${dotThreads}) in order, then a fixed tree.
 */
const dotsWgsl = /* wgsl */ `${paramsWgsl}
@group(0) @binding(1) var<storage, read> rowStart: array<u32>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
@group(0) @binding(3) var<storage, read_write> entries: array<Entry>;
@group(0) @binding(4) var<storage, read> upstream: array<f32>;
@group(0) @binding(5) var<storage, read> decoder: array<f32>;
@group(0) @binding(6) var<storage, read> xc: array<f32>;
@group(0) @binding(7) var<storage, read> encoder: array<f32>;
var<workgroup> count: u32;
var<workgroup> partial: array<vec2<f32>, ${dotThreads}>;
@compute @workgroup_size(${dotThreads})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  if (lid == 0u) { count = rowStart[p.rows]; }
  let i = wid.x + wid.y * p.nx;
  if (i >= workgroupUniformLoad(&count)) { return; }
  let x = entries[i].token * p.d;
  let w = index[i] * p.d;
  var s = vec2<f32>(0.0, 0.0);
  for (var c = lid; c < p.d; c += ${dotThreads}u) {
    s += vec2<f32>(upstream[x + c] * decoder[w + c], xc[x + c] * encoder[w + c]);
  }
  partial[lid] = s;
  workgroupBarrier();
  for (var width = ${dotThreads / 2}u; width > 0u; width >>= 1u) {
    if (lid < width) { partial[lid] += partial[lid + width]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    entries[i].u = partial[0].x;
    entries[i].a = partial[0].y;
  }
}`;

/**
 * Pass 4: workgroup per latent (entry-terms.ts entryReductions): thread lid sums the
 * terms of entries begin + lid, begin + lid + ${sumThreads}, … in order, then a fixed tree
 * over the threads, so a latent hit by every token is not one thread's long loop.
 */
const latentSumsWgsl = /* wgsl */ `${paramsWgsl}
@group(0) @binding(1) var<storage, read> order: array<u32>;
@group(0) @binding(2) var<storage, read> entries: array<Entry>;
@group(0) @binding(3) var<storage, read> norm: array<f32>;
@group(0) @binding(4) var<storage, read> latents: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> sums: array<f32>;
// ∂b_enc, ∂γ, ∂α, C_j and ∂‖w_j‖ of each thread's entries
var<workgroup> partialA: array<vec4<f32>, ${sumThreads}>;
var<workgroup> partialB: array<f32, ${sumThreads}>;
@compute @workgroup_size(${sumThreads})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let j = wid.x + wid.y * p.nx;
  if (j >= p.m) { return; }
  let L = latents[j];
  let cosine = has(${flag.cosine}u);
  let learnsAlpha = has(${flag.learnsAlpha}u);
  var bEnc = 0.0;
  var logGain = 0.0;
  var alpha = 0.0;
  var coefSum = 0.0;
  var dEncoderNorm = 0.0;
  for (var e = order[j] + lid; e < order[j + 1u]; e += ${sumThreads}u) {
    let E = entries[order[p.m + 1u + e]];
    let n = norm[E.token];
    let logR = logRatio(n);
    let delta = E.q * E.u;
    if (has(${flag.equivariant}u) && cosine && learnsAlpha) { alpha += E.z * E.u * E.q * -logR; }
    bEnc += delta;
    coefSum += E.u * E.h;
    if (cosine) {
      let den = L.x * n + p.eps;
      let gcf = L.y * E.a * E.f / den;
      logGain += delta * gcf;
      if (learnsAlpha) { alpha += delta * gcf * logR; }
      dEncoderNorm -= delta * gcf * n / den;
    }
  }
  partialA[lid] = vec4<f32>(bEnc, logGain, alpha, coefSum);
  partialB[lid] = dEncoderNorm;
  workgroupBarrier();
  for (var width = ${sumThreads / 2}u; width > 0u; width >>= 1u) {
    if (lid < width) {
      partialA[lid] += partialA[lid + width];
      partialB[lid] += partialB[lid + width];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let s = j * 8u;
    let total = partialA[0];
    sums[s] = total.x;
    sums[s + 1u] = total.y;
    sums[s + 2u] = total.z;
    sums[s + 3u] = total.w;
    sums[s + 4u] = partialB[0];
    sums[s + 5u] = select(0.0, partialB[0] / L.x, partialB[0] != 0.0);
  }
}`;

/**
 * Pass 5, the gradient rows ∂d_j (+)= Σ z q G_t and ∂w_j (+)= Σ (u h) x_c,t, in blocks of
 * ${blockEntries} entries so that a long segment is spread over many workgroups: each latent's
 * first block goes straight into its rows (5a), every further block into a partial row
 * pair (5b), then the partials are added in block order (5c). In a block, thread lid
 * owns columns c ≡ lid (mod ${rowThreads}) and adds the entries in token order.
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
const firstBlockWgsl = /* wgsl */ `${paramsWgsl}
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
  let overwrite = has(${flag.overwrite}u);
  for (var c = lid; c < p.d; c += ${rowThreads}u) {
    let start = select(vec2<f32>(gradDecoder[r + c], gradEncoder[r + c]), vec2<f32>(0.0, 0.0), overwrite);
    let s = blockSums(c, n, start);
    gradDecoder[r + c] = s.x;
    gradEncoder[r + c] = s.y;
  }
}`;

/** Each latent's count of further blocks (its segment past the first ${blockEntries} entries). */
const extraBlocksWgsl = /* wgsl */ `${paramsWgsl}
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
const blockLatentsWgsl = /* wgsl */ `${paramsWgsl}
@group(0) @binding(1) var<storage, read_write> blocks: array<u32>;
@compute @workgroup_size(${perGroup})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x + gid.y * p.nx * ${perGroup}u;
  if (j >= p.m) { return; }
  for (var k = blocks[j]; k < blocks[j + 1u]; k++) { blocks[p.m + 1u + k] = j; }
}`;

/** 5b: further block k of latent j into partial rows k (dispatched for the most blocks there can be). */
const furtherBlockWgsl = /* wgsl */ `${paramsWgsl}
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
const finishRowsWgsl = /* wgsl */ `${paramsWgsl}
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

/** Pass 6: the per-latent sums into the gradients (blend's one α is a tree sum, done apart). */
const applySumsWgsl = /* wgsl */ `${paramsWgsl}
@group(0) @binding(1) var<storage, read> sums: array<f32>;
@group(0) @binding(2) var<storage, read_write> bEnc: array<f32>;
@group(0) @binding(3) var<storage, read_write> logGain: array<f32>;
@group(0) @binding(4) var<storage, read_write> alpha: array<f32>;
@compute @workgroup_size(${perGroup})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x + gid.y * p.nx * ${perGroup}u;
  if (j >= p.m) { return; }
  let s = j * 8u;
  bEnc[j] += sums[s];
  if (has(${flag.cosine}u)) { logGain[j] += sums[s + 1u]; }
  if (has(${flag.learnsAlpha}u) && !has(${flag.globalAlpha}u)) { alpha[j] += sums[s + 2u]; }
}`;

/** Pass 7: thread per token, its entries in row order: −∂n_t / n_t. */
const tokenScaleWgsl = /* wgsl */ `${paramsWgsl}
@group(0) @binding(1) var<storage, read> rowStart: array<u32>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
@group(0) @binding(3) var<storage, read> entries: array<Entry>;
@group(0) @binding(4) var<storage, read> norm: array<f32>;
@group(0) @binding(5) var<storage, read> latents: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> tokenScale: array<f32>;
@compute @workgroup_size(${perGroup})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x + gid.y * p.nx * ${perGroup}u;
  if (t >= p.rows) { return; }
  let n = norm[t];
  let rnu = (n / p.nu) * p.nu;
  var dNorm = 0.0;
  for (var i = rowStart[t]; i < rowStart[t + 1u]; i++) {
    let E = entries[i];
    let L = latents[index[i]];
    if (has(${flag.equivariant}u)) { dNorm += E.z * E.u * (1.0 - L.z) * E.q / rnu; }
    let den = L.x * n + p.eps;
    let gcf = L.y * E.a * E.f / den;
    dNorm += E.q * E.u * (-gcf * L.x / den + gcf * L.z / rnu);
  }
  tokenScale[t] = -dNorm / max(n, 1.17549435e-38);
}`;

/** Records the per-latent terms packed for the backward shaders. */
function packLatentTerms(gpu: Gpu, terms: DeviceLatentTerms, b: BackwardBuffers, params: Uint32Array): void {
  gpu.dispatch(
    gpu.pipeline(latentTermsWgsl, "backward latent terms"),
    [terms.encoderNorm, terms.gain, terms.alpha, b.latents],
    groupsFor(b.m, perGroup),
    params,
  );
}

function stepParams(a: BackwardArgs, nx: number): Uint32Array {
  const { cosine, alpha } = scoreFacts(a.score);
  const flags =
    (cosine ? flag.cosine : 0) |
    (alpha !== "fixed" ? flag.learnsAlpha : 0) |
    (alpha === "global" ? flag.globalAlpha : 0) |
    (a.equivariant ? flag.equivariant : 0) |
    (a.centred ? flag.centred : 0) |
    (a.overwrite ? flag.overwrite : 0);
  const { rows, d, m, nu, eps } = a.shape;
  return uniformWords([rows, d, m, nx, flags], [nu, eps]);
}

/**
 * Records backwardThroughCodes: adds ∂L/∂θ of one term into `args.grads` (∂W_enc and
 * ∂W_dec overwritten with `overwrite`), with `buffers` as scratch. Each latent's
 * entry count goes to `latentCounts` (u32 [m]; default `buffers.otherCounts`),
 * which is returned.
 */
export function backwardOnGpu(
  gpu: Gpu,
  args: BackwardArgs,
  buffers: BackwardBuffers,
  latentCounts: GpuBuffer = buffers.otherCounts,
): GpuBuffer {
  checkShapes(args, buffers);
  packLatentTerms(gpu, args.terms, buffers, stepParams(args, groupsFor(buffers.m, perGroup)[0]));
  recordBackward(gpu, args, buffers, latentCounts);
  return latentCounts;
}

function checkShapes(a: BackwardArgs, b: BackwardBuffers): void {
  const { rows, d, m } = a.shape;
  if (rows !== b.rows || d !== b.d || m !== b.m || a.codes.capacity > b.capacity || a.codes.rows !== rows)
    throw new Error(
      `the backward buffers were made for rows ${b.rows}, d ${b.d}, m ${b.m}, ${b.capacity} entries, but a step of ` +
        `rows ${rows}, d ${d}, m ${m} with ${a.codes.capacity} entries (codes of ${a.codes.rows} rows) was given; ` +
        "create them with the step's shape",
    );
}

function recordBackward(gpu: Gpu, a: BackwardArgs, b: BackwardBuffers, counts: GpuBuffer): void {
  const { codes, batch, params, grads } = a;
  const { rows, d, m } = a.shape;
  const entryGroups = groupsFor(codes.capacity, perGroup);
  const latentGroups = groupsFor(m, perGroup);
  const entryParams = stepParams(a, entryGroups[0]);
  const latentParams = stepParams(a, latentGroups[0]);
  const pipe = (wgsl: string, label: string) => gpu.pipeline(wgsl, label);

  gpu.dispatch(
    pipe(entryWgsl, "backward entry coefficients"),
    [codes.rowStart, codes.index, codes.value, batch.norm, b.latents, b.entries],
    entryGroups,
    entryParams,
  );
  latentOrderOnGpu(gpu, codes, m, b.order, counts);
  const dotGroups = groupsFor(codes.capacity, 1);
  gpu.dispatch(
    pipe(dotsWgsl, "backward entry dots"),
    [codes.rowStart, codes.index, b.entries, a.upstream, params.decoder, batch.xc, params.encoder],
    dotGroups,
    stepParams(a, dotGroups[0]),
  );
  const sumGroups = groupsFor(m, 1);
  gpu.dispatch(
    pipe(latentSumsWgsl, "backward latent sums"),
    [b.order.order, b.entries, batch.norm, b.latents, b.sums],
    sumGroups,
    stepParams(a, sumGroups[0]),
  );
  const rowGroups = groupsFor(m, 1);
  const rowParams = stepParams(a, rowGroups[0]);
  gpu.dispatch(
    pipe(firstBlockWgsl, "backward gradient rows"),
    [b.order.order, b.entries, a.upstream, batch.xc, grads.decoder, grads.encoder],
    rowGroups,
    rowParams,
  );
  const most = furtherBlocks(b.capacity);
  if (most > 0) {
    gpu.dispatch(
      pipe(extraBlocksWgsl, "backward further blocks"),
      [b.order.order, b.extraBlocks],
      latentGroups,
      latentParams,
    );
    exclusiveScanOnGpu(gpu, b.extraBlocks, b.blocks, m);
    gpu.dispatch(pipe(blockLatentsWgsl, "backward block latents"), [b.blocks], latentGroups, latentParams);
    const blockGroups = groupsFor(most, 1);
    gpu.dispatch(
      pipe(furtherBlockWgsl, "backward further gradient rows"),
      [b.order.order, b.entries, a.upstream, batch.xc, b.blocks, b.blockPartial],
      blockGroups,
      stepParams(a, blockGroups[0]),
    );
  } else {
    gpu.clear(b.blocks);
  }
  gpu.dispatch(
    pipe(finishRowsWgsl, "backward gradient rows' sums"),
    [b.blocks, b.blockPartial, params.encoder, b.sums, grads.decoder, grads.encoder],
    rowGroups,
    rowParams,
  );
  gpu.dispatch(
    pipe(applySumsWgsl, "backward latent gradients"),
    [b.sums, grads.bEnc, grads.logGain, grads.alpha],
    latentGroups,
    latentParams,
  );
  const { cosine, alpha } = scoreFacts(a.score);
  if (alpha === "global")
    treeSumOnGpu(gpu, b.sums, grads.alpha, 0, { count: m, stride: 8, offset: 2, accumulate: true });

  // ∂b_dec = (Σ_t G_t) − Σ_j C_j w_j − Σ_t (∂n_t / n_t) x_c,t; uncentred, the score path gives b_dec nothing.
  const sources: WeightedRows[] = [];
  if (a.centred) {
    sources.push({ x: params.encoder, rows: m, coef: b.sums, stride: 8, offset: 3, sign: -1 });
    if (cosine) {
      const tokenGroups = groupsFor(rows, perGroup);
      gpu.dispatch(
        pipe(tokenScaleWgsl, "backward ∂n"),
        [codes.rowStart, codes.index, b.entries, batch.norm, b.latents, b.tokenScale],
        tokenGroups,
        stepParams(a, tokenGroups[0]),
      );
      sources.push({ x: batch.xc, rows, coef: b.tokenScale, sign: 1 });
    }
  }
  if (a.includeBias) sources.push({ x: a.upstream, rows, coef: null, sign: 1 });
  biasGradientOnGpu(gpu, d, sources, b.biasPartial, grads.bDec);
}

/** The AuxK term of backwardTrainingOnGpu: its codes and upstream ∂(λ_aux L_aux)/∂ê. */
export interface AuxkBackward {
  codes: DeviceCodes;
  upstream: GpuBuffer;
}

/**
 * Records backwardTraining: zeroes ∂b_enc, ∂b_dec, ∂γ, ∂α, writes the main term's
 * gradients (every row of ∂W_enc, ∂W_dec) then adds AuxK's. The main term's
 * per-latent entry counts are left in `buffers.latentCounts`.
 */
export function backwardTrainingOnGpu(
  gpu: Gpu,
  main: Omit<BackwardArgs, "includeBias" | "overwrite">,
  aux: AuxkBackward | null,
  buffers: BackwardBuffers,
): GpuBuffer {
  const { grads } = main;
  for (const g of [grads.bEnc, grads.bDec, grads.logGain, grads.alpha]) gpu.clear(g);
  backwardOnGpu(gpu, { ...main, includeBias: true, overwrite: true }, buffers, buffers.latentCounts);
  if (aux) backwardOnGpu(gpu, { ...main, ...aux, includeBias: false, overwrite: false }, buffers);
  return buffers.latentCounts;
}
