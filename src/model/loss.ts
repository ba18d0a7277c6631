import { type FloatArray, floatCtor, type SparseRows } from "../kernels/arrays.js";
import type { EntryTerms } from "../kernels/entry-terms.js";
import type { Kernels } from "../kernels/kernels.js";
import type { PhaseClock } from "../kernels/phase-clock.js";
import { learnsAlpha } from "../kernels/score-family.js";
import {
  decode,
  decodeScale,
  encodeTraining,
  type LatentTerms,
  latentTerms,
  type Preactivations,
} from "./forward.js";
import type { Sae, SaeParams } from "./sae.js";
import { scratch, type Workspace, zeros } from "./workspace.js";

/**
 * The training loss (DESIGN §3) and its analytic gradients:
 *   L = (1/B) Σ_t ω_t ‖x̃_t − x̂_t‖² + λ_aux · L_aux
 * Only selected latents carry gradient through the sparsifier, so everything
 * after the score matrix is O(B·k·d).
 */
export interface LossOptions {
  reweight: "none" | "equalize";
  /** AuxK: which latents are dead (1) and how many of them each token may use */
  auxk: { dead: Uint8Array; kAux: number; coef: number } | null;
  /** the caller's reused buffers: the forward's arrays then live only until its next step */
  workspace?: Workspace;
  /** ‖w_j‖ of the current encoder, if the caller already has them (the trainer's Adam step) */
  encoderNorm?: Float64Array;
}

export interface TrainingForward {
  terms: LatentTerms;
  pa: Preactivations;
  codes: SparseRows;
  /** residual e = x̃ − x̂ [B, d], scaled units */
  residual: FloatArray;
  /** ∂L/∂x̂ of the main term [B, d] */
  upstream: FloatArray;
  /** (1/B) Σ ω ‖e‖² */
  mse: number;
  aux: AuxkTerm | null;
  loss: number;
  /** Σ‖e‖² / Σ‖x̃ − mean x̃‖² on this batch */
  fvu: number;
  /** smallest kept positive pre-activation (feeds the threshold τ) */
  minKept: number;
  /** the workspace the arrays above live in (the backward pass reuses it), if any */
  workspace?: Workspace;
}

export interface AuxkTerm {
  codes: SparseRows;
  /** λ_aux · L_aux */
  loss: number;
  /** ∂(λ_aux L_aux)/∂ê [B, d] */
  upstream: FloatArray;
}

export async function forwardTraining(
  sae: Sae,
  x: FloatArray,
  rows: number,
  kernels: Kernels,
  options: LossOptions,
  clock?: PhaseClock,
): Promise<TrainingForward> {
  const { d } = sae.config;
  const ws = options.workspace;
  const terms = latentTerms(sae, kernels, options.encoderNorm);
  const { pa, codes } = await encodeTraining(sae, x, rows, kernels, terms, clock, ws);
  const xhat = decode(sae, terms, codes, pa.norm, kernels, true, ws);
  // e = x̃ − x̂ in place (reusing x̂), G = ∂L/∂x̂ = −(2/B) ω_t e, and Σ_c e² per token.
  const residual = xhat;
  const omega = tokenWeights(pa.xs, rows, d, options.reweight);
  const upstream = scratch(ws, "upstream", floatCtor(residual), rows * d);
  const tokenSse = scratch(ws, "tokenSse", Float64Array, rows);
  kernels.residualUpstream(pa.xs, residual, omega, rows, d, -2 / rows, upstream, tokenSse);
  let mse = 0;
  let sse = 0;
  for (let t = 0; t < rows; t++) {
    sse += tokenSse[t]!;
    mse += omega[t]! * tokenSse[t]!;
  }
  mse /= rows;
  clock?.lap("decode");

  const aux = options.auxk ? auxkTerm(sae, terms, pa, residual, options.auxk, kernels, ws) : null;
  clock?.lap("auxk");
  let minKept = Number.POSITIVE_INFINITY;
  for (const v of codes.value) if (v < minKept) minKept = v;
  return {
    terms,
    pa,
    codes,
    residual,
    upstream,
    mse,
    aux,
    loss: mse + (aux?.loss ?? 0),
    fvu: sse / kernels.centredSumOfSquares(pa.xs, rows, d),
    minKept,
    ...(ws ? { workspace: ws } : {}),
  };
}

/** ω_t: 1, or ∝ 1/‖x̃_t‖² normalised to mean 1 ("equalize": every token gets an equal share of gradient). */
export function tokenWeights(
  xs: FloatArray,
  rows: number,
  d: number,
  reweight: LossOptions["reweight"],
): Float64Array {
  const omega = new Float64Array(rows).fill(1);
  if (reweight === "none") return omega;
  let total = 0;
  for (let t = 0; t < rows; t++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += xs[t * d + c]! ** 2;
    omega[t] = 1 / Math.max(s, 1e-12);
    total += omega[t]!;
  }
  for (let t = 0; t < rows; t++) omega[t] = (omega[t]! * rows) / total;
  return omega;
}

/**
 * AuxK (Gao et al. 2024): each token's top kAux positive scores among dead
 * latents reconstruct the residual e, decoded without b_dec (it is already in
 * x̂), with e held constant (no gradient through it):
 *   L_aux = Σ‖e − ê‖² / Σ‖e − ē‖²
 */
export function auxkTerm(
  sae: Sae,
  terms: LatentTerms,
  pa: Preactivations,
  residual: FloatArray,
  auxk: NonNullable<LossOptions["auxk"]>,
  kernels: Kernels,
  ws?: Workspace,
): AuxkTerm | null {
  const { d, m } = sae.config;
  const rows = pa.rows;
  let deadCount = 0;
  for (let j = 0; j < m; j++) deadCount += auxk.dead[j] ? 1 : 0;
  const deadIds = new Int32Array(deadCount);
  for (let j = 0, i = 0; j < m; j++) if (auxk.dead[j]) deadIds[i++] = j;
  const kAux = Math.min(auxk.kAux, deadIds.length);
  if (kAux === 0) return null;
  const denominator = kernels.centredSumOfSquares(residual, rows, d);
  if (!(denominator > 0)) return null;

  // Each row's top kAux among the dead columns, as latent ids in increasing order.
  const ctor = floatCtor(pa.pre);
  const codes = kernels.selectTopKAmong(pa.pre, rows, m, deadIds, kAux);
  const ehat = decode(sae, terms, codes, pa.norm, kernels, false, ws, "ehat");
  // ê becomes e − ê in place; G_aux = −2 λ_aux (e − ê) / Σ‖e − ē‖².
  const upstream = scratch(ws, "auxUpstream", ctor, rows * d);
  const tokenSse = scratch(ws, "auxTokenSse", Float64Array, rows);
  const ones = new Float64Array(rows).fill(1);
  kernels.residualUpstream(residual, ehat, ones, rows, d, (-2 * auxk.coef) / denominator, upstream, tokenSse);
  let sse = 0;
  for (let t = 0; t < rows; t++) sse += tokenSse[t]!;
  return { codes, loss: (auxk.coef * sse) / denominator, upstream };
}

/**
 * Writes ∂L/∂θ of the main term and of AuxK into `grads` (every entry is
 * overwritten, so `grads` need not be zeroed: the main term's latent-ordered
 * scatter writes every row of ∂W_enc and ∂W_dec, AuxK then adds to them).
 */
export function backwardTraining(
  sae: Sae,
  fwd: TrainingForward,
  kernels: Kernels,
  grads: SaeParams,
  clock?: PhaseClock,
): void {
  for (const name of ["bEnc", "bDec", "logGain", "alpha"] as const) grads[name].fill(0);
  const ws = fwd.workspace;
  backwardThroughCodes(sae, fwd.terms, fwd.pa, fwd.codes, fwd.upstream, kernels, grads, true, true, ws);
  clock?.lap("backward");
  if (fwd.aux) {
    backwardThroughCodes(
      sae,
      fwd.terms,
      fwd.pa,
      fwd.aux.codes,
      fwd.aux.upstream,
      kernels,
      grads,
      false,
      false,
      ws,
    );
    clock?.lap("auxk");
  }
}

/**
 * Back-propagates an upstream gradient G = ∂L/∂x̂ [B, d] through decoding and
 * encoding of the given selected codes (z = p on them). `includeBias` says
 * whether x̂ contained b_dec directly (the main term) or not (AuxK's ê).
 * Adds into `grads`; with `overwrite`, ∂W_enc and ∂W_dec are written instead.
 *
 * Per selected (t, j), with q the decoder scale and u = G_t · d_j:
 *   ∂d_j += z q G_t,   δ = ∂L/∂p = q u
 *   inner:   ∂w_j += δ x_c,  ∂x_c += δ w_j
 *   cosine family, h = g f / (‖w‖ n + ε), f = r^α:
 *     ∂w_j += δ h x_c − δ g c f n/(‖w‖n+ε) · ŵ_j,   ∂x_c += δ h w_j
 *     ∂n   += δ (−g c f ‖w‖/(‖w‖n+ε) + g c α f / (r ν)),   ∂γ_j += δ g c f,   ∂α += δ g c f ln r
 *   equivariant decoding adds ∂α_j += z u q (−ln r) and ∂n += z u (1−α) q / (r ν).
 * Then ∂x_c += ∂n · x_c / n, and b_dec gets Σ G (if included) − Σ ∂x_c; under
 * cosineOf "uncentred" x_c is x̃ (data, n = ‖x̃‖) and b_dec gets Σ G only.
 *
 * The O(nnz·d) work runs in latent order (kernels.transposeCodes): each W row is
 * read once and each gradient row written once. ∂x_c itself is never formed:
 * only b_dec needs it, through Σ_t ∂x_c,t = Σ_j C_j w_j + Σ_t (∂n_t/n_t) x_c,t
 * with C_j the sum of latent j's encoder coefficients.
 */
export function backwardThroughCodes(
  sae: Sae,
  terms: LatentTerms,
  pa: Preactivations,
  codes: SparseRows,
  upstream: FloatArray,
  kernels: Kernels,
  grads: SaeParams,
  includeBias: boolean,
  overwrite = false,
  ws?: Workspace,
): void {
  const { d, score, eps } = sae.config;
  const { encoder, decoder } = sae.params;
  const { nu } = sae.constants;
  const { encoderNorm, gain, alpha } = terms;
  const { rows, xc, norm } = pa;
  const ctor = floatCtor(encoder);
  const m = encoder.length / d;
  const count = codes.rowStart[rows]!;
  const equivariant = sae.config.decode === "equivariant";
  // Per-entry and per-token arrays: scratch for this call only (the main term and AuxK share them).
  const logRatio = scratch(ws, "logRatio", Float64Array, rows);
  for (let t = 0; t < rows; t++) logRatio[t] = Math.log(Math.max(norm[t]! / nu, Number.MIN_VALUE));
  // q and f = r^α per entry where they are not all 1 (they need exp, kept here).
  let scale: Float64Array | null = null;
  let power: Float64Array | null = null;
  if (equivariant || learnsAlpha(score)) {
    if (equivariant) scale = scratch(ws, "scale", Float64Array, count);
    if (learnsAlpha(score)) power = scratch(ws, "power", Float64Array, count);
    for (let t = 0; t < rows; t++) {
      for (let i = codes.rowStart[t]!; i < codes.rowStart[t + 1]!; i++) {
        const j = codes.index[i]!;
        if (scale) scale[i] = decodeScale(sae, terms, norm, t, j);
        if (power) power[i] = Math.exp(alpha[j]! * logRatio[t]!);
      }
    }
  }
  const entry: EntryTerms = {
    score,
    equivariant,
    nu,
    eps,
    norm,
    logRatio,
    gain,
    encoderNorm,
    alpha,
    scale,
    power,
  };
  // Before the O(nnz·d) pass: the decoder coefficient z q and h, with which the
  // encoder coefficient is δ g f/(‖w‖n+ε) = u h.
  const decoderCoef = scratch(ws, "decoderCoef", ctor, count);
  const encoderScale = scratch(ws, "encoderScale", Float64Array, count);
  kernels.entryCoefficients(codes, entry, decoderCoef, encoderScale);
  // u_i = G_t · d_j, a_i = w_j · x_c,t and the scatters into ∂W_dec, ∂W_enc, in latent order.
  const order = kernels.transposeCodes(codes, m);
  const upstreamDot = scratch(ws, "upstreamDot", Float64Array, count);
  const encoderDot = scratch(ws, "encoderDot", Float64Array, count);
  const { decoder: gradDecoder, encoder: gradEncoder } = grads;
  const args = { upstream, decoder, decoderCoef, xc, encoder, encoderScale, gradDecoder, gradEncoder };
  kernels.latentBackward(order, { ...args, upstreamDot, encoderDot }, d, overwrite);
  // The per-entry terms of ∂b_enc, ∂γ, ∂α, ∂‖w_j‖, ∂n_t and C_j.
  const dNorm = zeros(ws, "dNorm", Float64Array, rows);
  const dEncoderNorm = zeros(ws, "dEncoderNorm", Float64Array, m);
  const encoderCoefSum = zeros(ws, "encoderCoefSum", Float64Array, m);
  kernels.entryReductions(codes, entry, upstreamDot, encoderDot, encoderScale, {
    bEnc: grads.bEnc,
    logGain: grads.logGain,
    alpha: grads.alpha,
    dNorm,
    dEncoderNorm,
    encoderCoefSum,
  });

  // ∂w_j += (∂‖w_j‖ / ‖w_j‖) w_j, as a diagonal sparse scatter.
  const dEncoderNormScale = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    if (dEncoderNorm[j] !== 0) dEncoderNormScale[j] = dEncoderNorm[j]! / encoderNorm[j]!;
  }
  kernels.sparseAccumulate(diagonal(dEncoderNormScale, ctor), encoder, d, grads.encoder);
  // x_c = x̃ − b_dec, so b_dec receives −Σ_t ∂L/∂x_c,t = −Σ_j C_j w_j − Σ_t (∂n_t / n_t) x_c,t;
  // x̂ = … + b_dec adds Σ_t G_t. Uncentred, the score reads x̃ (data): only the second path is left.
  const bDec = new Float64Array(d);
  if (sae.config.cosineOf === "centred") {
    for (let j = 0; j < m; j++) encoderCoefSum[j] = -encoderCoefSum[j]!;
    kernels.weightedRowSum(encoder, encoderCoefSum, m, d, bDec);
    const dNormScale = new Float64Array(rows);
    for (let t = 0; t < rows; t++) dNormScale[t] = -dNorm[t]! / Math.max(norm[t]!, Number.MIN_VALUE);
    kernels.weightedRowSum(xc, dNormScale, rows, d, bDec);
  }
  if (includeBias) kernels.weightedRowSum(upstream, new Float64Array(rows).fill(1), rows, d, bDec);
  for (let c = 0; c < d; c++) grads.bDec[c]! += bDec[c]!;
}

/** The diagonal matrix of the nonzero `scale` entries as sparse rows: row i holds (i, scale_i). */
function diagonal(scale: Float64Array, ctor: Float32ArrayConstructor | Float64ArrayConstructor): SparseRows {
  const rows = scale.length;
  const rowStart = new Int32Array(rows + 1);
  let n = 0;
  for (let i = 0; i < rows; i++) {
    n += scale[i] !== 0 ? 1 : 0;
    rowStart[i + 1] = n;
  }
  const index = new Int32Array(n);
  const value = new ctor(n);
  for (let i = 0, at = 0; i < rows; i++) {
    if (scale[i] === 0) continue;
    index[at] = i;
    value[at++] = scale[i]!;
  }
  return { rows, rowStart, index, value };
}
