/**
 * The per-entry scalar math of the backward pass on the GPU (src/kernels/entry-terms.ts),
 * around the O(nnz·d) gradient rows (gradient-rows.ts): each entry's coefficients and
 * dot products, each latent's sums (∂b_enc, ∂γ, ∂α, C_j, ∂‖w_j‖) and each token's ∂n_t.
 * q and f = r^α are computed here in f32 (exp and log of WGSL).
 */

import { type BackwardFlags, backwardFlag, backwardParams, backwardParamsWgsl } from "./backward-params.js";
import type {
  DeviceBatch,
  DeviceCodes,
  DeviceLatentTerms,
  DeviceParams,
  StepShape,
} from "./device-arrays.js";
import { type Gpu, type GpuBuffer, groupsFor } from "./gpu.js";

const perGroup = 256;
const dotThreads = 64;
const sumThreads = 64;

const latentTermsWgsl = /* wgsl */ `${backwardParamsWgsl}
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
const entryWgsl = /* wgsl */ `${backwardParamsWgsl}
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
  let q = select(1.0, exp((1.0 - L.z) * logR), has(${backwardFlag.equivariant}u));
  let f = select(1.0, exp(L.z * logR), has(${backwardFlag.learnsAlpha}u));
  let h = select(q, q * L.y * f / (L.x * n + p.eps), has(${backwardFlag.cosine}u));
  entries[i] = Entry(t, z, q, f, z * q, h, 0.0, 0.0);
}`;

/**
 * Pass 3: workgroup per entry (coalesced row reads): u = G_t · d_j and a = x_c,t · w_j,
 * each thread summing its columns c ≡ lid (mod dotThreads) in order, then a fixed tree.
 */
const dotsWgsl = /* wgsl */ `${backwardParamsWgsl}
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
 * terms of entries begin + lid, begin + lid + sumThreads, … in order, then a fixed tree
 * over the threads, so a latent hit by every token is not one thread's long loop.
 */
const latentSumsWgsl = /* wgsl */ `${backwardParamsWgsl}
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
  let cosine = has(${backwardFlag.cosine}u);
  let learnsAlpha = has(${backwardFlag.learnsAlpha}u);
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
    if (has(${backwardFlag.equivariant}u) && cosine && learnsAlpha) { alpha += E.z * E.u * E.q * -logR; }
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

/** Pass 6: the per-latent sums into the gradients (blend's one α is a tree sum, done apart). */
const applySumsWgsl = /* wgsl */ `${backwardParamsWgsl}
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
  if (has(${backwardFlag.cosine}u)) { logGain[j] += sums[s + 1u]; }
  if (has(${backwardFlag.learnsAlpha}u) && !has(${backwardFlag.globalAlpha}u)) { alpha[j] += sums[s + 2u]; }
}`;

/** Pass 7: thread per token, its entries in row order: −∂n_t / n_t. */
const tokenScaleWgsl = /* wgsl */ `${backwardParamsWgsl}
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
    if (has(${backwardFlag.equivariant}u)) { dNorm += E.z * E.u * (1.0 - L.z) * E.q / rnu; }
    let den = L.x * n + p.eps;
    let gcf = L.y * E.a * E.f / den;
    dNorm += E.q * E.u * (-gcf * L.x / den + gcf * L.z / rnu);
  }
  tokenScale[t] = -dNorm / max(n, 1.17549435e-38);
}`;

/** What the entry passes read and write: the step, and the scratch of backward.ts. */
export interface EntryPassArgs extends BackwardFlags {
  shape: StepShape;
  codes: DeviceCodes;
  upstream: GpuBuffer;
  batch: DeviceBatch;
  params: DeviceParams;
  /** vec4 per latent: ‖w_j‖, g_j, α_j (packLatentTermsOnGpu) */
  latents: GpuBuffer;
  /** 8 words per entry: token, z, q, f, z q, h, u, a */
  entries: GpuBuffer;
  /** u32 [m + 1 + capacity]: the latent order (latent-order.ts) */
  order: GpuBuffer;
  /** 8 floats per latent: ∂b_enc, ∂γ, ∂α, C_j, ∂‖w_j‖, ∂‖w_j‖/‖w_j‖ */
  sums: GpuBuffer;
}

/** Records the per-latent terms packed as one vec4 per latent (a shader binds at most 8 storage buffers). */
export function packLatentTermsOnGpu(
  gpu: Gpu,
  a: { shape: StepShape } & BackwardFlags,
  terms: DeviceLatentTerms,
  latents: GpuBuffer,
): void {
  const groups = groupsFor(a.shape.m, perGroup);
  gpu.dispatch(
    gpu.pipeline(latentTermsWgsl, "backward latent terms"),
    [terms.encoderNorm, terms.gain, terms.alpha, latents],
    groups,
    backwardParams(a.shape, a, groups[0]),
  );
}

/** Records pass 1 (each entry's token, q, f, z q, h): before the latent order, which does not need them. */
export function entryCoefficientsOnGpu(gpu: Gpu, a: EntryPassArgs): void {
  const { codes, batch } = a;
  const groups = groupsFor(codes.capacity, perGroup);
  gpu.dispatch(
    gpu.pipeline(entryWgsl, "backward entry coefficients"),
    [codes.rowStart, codes.index, codes.value, batch.norm, a.latents, a.entries],
    groups,
    backwardParams(a.shape, a, groups[0]),
  );
}

/** Records passes 3 and 4: u and a per entry, then each latent's sums (needs the latent order). */
export function entryDotsAndLatentSumsOnGpu(gpu: Gpu, a: EntryPassArgs): void {
  const { codes, batch, params } = a;
  const dotGroups = groupsFor(codes.capacity, 1);
  gpu.dispatch(
    gpu.pipeline(dotsWgsl, "backward entry dots"),
    [codes.rowStart, codes.index, a.entries, a.upstream, params.decoder, batch.xc, params.encoder],
    dotGroups,
    backwardParams(a.shape, a, dotGroups[0]),
  );
  const sumGroups = groupsFor(a.shape.m, 1);
  gpu.dispatch(
    gpu.pipeline(latentSumsWgsl, "backward latent sums"),
    [a.order, a.entries, batch.norm, a.latents, a.sums],
    sumGroups,
    backwardParams(a.shape, a, sumGroups[0]),
  );
}

/** Records pass 6: the per-latent sums into ∂b_enc, ∂γ and blend-feature's ∂α_j. */
export function applyLatentSumsOnGpu(gpu: Gpu, a: EntryPassArgs, grads: DeviceParams): void {
  const groups = groupsFor(a.shape.m, perGroup);
  gpu.dispatch(
    gpu.pipeline(applySumsWgsl, "backward latent gradients"),
    [a.sums, grads.bEnc, grads.logGain, grads.alpha],
    groups,
    backwardParams(a.shape, a, groups[0]),
  );
}

/** Records pass 7: −∂n_t / n_t per token into `tokenScale` (the cosine family only). */
export function tokenNormScaleOnGpu(gpu: Gpu, a: EntryPassArgs, tokenScale: GpuBuffer): void {
  const { codes, batch } = a;
  const groups = groupsFor(a.shape.rows, perGroup);
  gpu.dispatch(
    gpu.pipeline(tokenScaleWgsl, "backward ∂n"),
    [codes.rowStart, codes.index, a.entries, batch.norm, a.latents, tokenScale],
    groups,
    backwardParams(a.shape, a, groups[0]),
  );
}
