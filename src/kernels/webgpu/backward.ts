/**
 * The backward pass of a training step on the GPU: src/model/loss.ts
 * backwardThroughCodes and backwardTraining, with src/kernels/entry-terms.ts's
 * per-entry math and src/kernels/sparse.ts's latent-ordered scatters, recorded
 * (no await) on the device arrays of device-arrays.ts.
 *
 * Passes (entry-terms.ts, latent-order.ts, gradient-rows.ts, bias-gradient.ts), each
 * deterministic (no float atomics; every sum in a fixed order):
 *   1. per entry: its token t, z, q, f = r^α, the decoder coefficient z q and h;
 *   2. the latent order (latent-order.ts) and the per-latent entry counts;
 *   3. per entry (a workgroup each): u = G_t · d_j and a = x_c,t · w_j;
 *   4. per latent (a workgroup each, a fixed tree over its entries): ∂b_enc_j, ∂γ_j, ∂α_j,
 *      C_j, ∂‖w_j‖;
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
import {
  applyLatentSumsOnGpu,
  type EntryPassArgs,
  entryCoefficientsOnGpu,
  entryDotsAndLatentSumsOnGpu,
  packLatentTermsOnGpu,
  tokenNormScaleOnGpu,
} from "./entry-terms.js";
import type { Gpu, GpuBuffer } from "./gpu.js";
import {
  createGradientRowBuffers,
  type GradientRowBuffers,
  gradientRowsOnGpu,
  releaseGradientRowBuffers,
} from "./gradient-rows.js";
import {
  createLatentOrderBuffers,
  type LatentOrderBuffers,
  latentOrderOnGpu,
  releaseLatentOrderBuffers,
} from "./latent-order.js";
import { treeSumOnGpu } from "./tree-sum.js";

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
  rowBlocks: GradientRowBuffers;
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
  return {
    rows,
    d,
    m,
    capacity,
    order: createLatentOrderBuffers(gpu, m, capacity),
    entries: gpu.createBuffer(`backward entry records [${capacity}, 8]`, Math.max(1, capacity) * 32),
    latents: gpu.createBuffer(`backward latent terms [${m}, 4]`, m * 16),
    sums: gpu.createBuffer(`backward latent sums [${m}, 8]`, m * 32),
    rowBlocks: createGradientRowBuffers(gpu, m, d, capacity),
    tokenScale: gpu.createBuffer(`backward ∂n/n [${rows}]`, rows * 4),
    biasPartial: gpu.createBuffer(`∂b_dec partials [${d}]`, biasPartialRows([rows, m, rows]) * d * 4),
    latentCounts: gpu.createBuffer(`latent counts [${m}]`, m * 4),
    otherCounts: gpu.createBuffer(`other latent counts [${m}]`, m * 4),
  };
}

export function releaseBackwardBuffers(gpu: Gpu, b: BackwardBuffers): void {
  releaseLatentOrderBuffers(gpu, b.order);
  releaseGradientRowBuffers(gpu, b.rowBlocks);
  for (const buffer of [
    b.entries,
    b.latents,
    b.sums,
    b.tokenScale,
    b.biasPartial,
    b.latentCounts,
    b.otherCounts,
  ])
    gpu.release(buffer);
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
  const { codes, batch, params, grads } = args;
  const { rows, d, m } = args.shape;
  const b = buffers;
  const a: EntryPassArgs = {
    ...args,
    latents: b.latents,
    entries: b.entries,
    order: b.order.order,
    sums: b.sums,
  };
  packLatentTermsOnGpu(gpu, a, args.terms, b.latents);
  entryCoefficientsOnGpu(gpu, a);
  latentOrderOnGpu(gpu, codes, m, b.order, latentCounts);
  entryDotsAndLatentSumsOnGpu(gpu, a);
  gradientRowsOnGpu(gpu, a, grads, b.rowBlocks);
  applyLatentSumsOnGpu(gpu, a, grads);
  const { cosine, alpha } = scoreFacts(args.score);
  if (alpha === "global")
    treeSumOnGpu(gpu, b.sums, grads.alpha, 0, { count: m, stride: 8, offset: 2, accumulate: true });

  // ∂b_dec = (Σ_t G_t) − Σ_j C_j w_j − Σ_t (∂n_t / n_t) x_c,t; uncentred, the score path gives b_dec nothing.
  const sources: WeightedRows[] = [];
  if (args.centred) {
    sources.push({ x: params.encoder, rows: m, coef: b.sums, stride: 8, offset: 3, sign: -1 });
    if (cosine) {
      tokenNormScaleOnGpu(gpu, a, b.tokenScale);
      sources.push({ x: batch.xc, rows, coef: b.tokenScale, sign: 1 });
    }
  }
  if (args.includeBias) sources.push({ x: args.upstream, rows, coef: null, sign: 1 });
  biasGradientOnGpu(gpu, d, sources, b.biasPartial, grads.bDec);
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
  if (aux) {
    gpu.phase("auxk"); // the benchmark's phases, as host-step.ts charges AuxK's backward
    backwardOnGpu(gpu, { ...main, ...aux, includeBias: false, overwrite: false }, buffers);
  }
  return buffers.latentCounts;
}
