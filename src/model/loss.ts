import { type FloatArray, floatCtor, type SparseRows } from "../kernels/arrays.js";
import type { Kernels } from "../kernels/kernels.js";
import type { PhaseClock } from "../kernels/phase-clock.js";
import {
  decode,
  decodeScale,
  encodeTraining,
  type LatentTerms,
  latentTerms,
  type Preactivations,
} from "./forward.js";
import type { Sae, SaeParams } from "./sae.js";

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
  const terms = latentTerms(sae, kernels);
  const { pa, codes } = await encodeTraining(sae, x, rows, kernels, terms, clock);
  const xhat = decode(sae, terms, codes, pa.norm, kernels);
  const residual = xhat; // reuse: e = x̃ − x̂ in place
  for (let i = 0; i < rows * d; i++) residual[i] = pa.xs[i]! - xhat[i]!;

  const omega = tokenWeights(pa.xs, rows, d, options.reweight);
  const upstream = new (floatCtor(residual))(rows * d);
  let mse = 0;
  let sse = 0;
  for (let t = 0; t < rows; t++) {
    let s = 0;
    for (let c = 0; c < d; c++) {
      const e = residual[t * d + c]!;
      s += e * e;
      upstream[t * d + c] = (-2 / rows) * omega[t]! * e;
    }
    sse += s;
    mse += omega[t]! * s;
  }
  mse /= rows;
  clock?.lap("decode");

  const aux = options.auxk ? auxkTerm(sae, terms, pa, residual, options.auxk, kernels) : null;
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
    fvu: sse / centredSumOfSquares(pa.xs, rows, d),
    minKept,
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
): AuxkTerm | null {
  const { d, m } = sae.config;
  const rows = pa.rows;
  let deadCount = 0;
  for (let j = 0; j < m; j++) deadCount += auxk.dead[j] ? 1 : 0;
  const deadIds = new Int32Array(deadCount);
  for (let j = 0, i = 0; j < m; j++) if (auxk.dead[j]) deadIds[i++] = j;
  const kAux = Math.min(auxk.kAux, deadIds.length);
  if (kAux === 0) return null;
  const denominator = centredSumOfSquares(residual, rows, d);
  if (!(denominator > 0)) return null;

  // Each row's top kAux among the dead columns, as latent ids in increasing order.
  const ctor = floatCtor(pa.pre);
  const codes = kernels.selectTopKAmong(pa.pre, rows, m, deadIds, kAux);
  const ehat = decode(sae, terms, codes, pa.norm, kernels, false);
  const upstream = new ctor(rows * d);
  let sse = 0;
  for (let i = 0; i < rows * d; i++) {
    const diff = residual[i]! - ehat[i]!;
    sse += diff * diff;
    upstream[i] = (-2 * auxk.coef * diff) / denominator;
  }
  return { codes, loss: (auxk.coef * sse) / denominator, upstream };
}

/** Adds ∂L/∂θ of the main term and of AuxK into `grads` (which it does not zero). */
export function backwardTraining(
  sae: Sae,
  fwd: TrainingForward,
  kernels: Kernels,
  grads: SaeParams,
  clock?: PhaseClock,
): void {
  backwardThroughCodes(sae, fwd.terms, fwd.pa, fwd.codes, fwd.upstream, kernels, grads, true);
  clock?.lap("backward");
  if (fwd.aux) {
    backwardThroughCodes(sae, fwd.terms, fwd.pa, fwd.aux.codes, fwd.aux.upstream, kernels, grads, false);
    clock?.lap("auxk");
  }
}

/**
 * Back-propagates an upstream gradient G = ∂L/∂x̂ [B, d] through decoding and
 * encoding of the given selected codes (z = p on them). `includeBias` says
 * whether x̂ contained b_dec directly (the main term) or not (AuxK's ê).
 *
 * Per selected (t, j), with q the decoder scale and u = G_t · d_j:
 *   ∂d_j += z q G_t,   δ = ∂L/∂p = q u
 *   inner:   ∂w_j += δ x_c,  ∂x_c += δ w_j
 *   cosine family, h = g f / (‖w‖ n + ε), f = r^α:
 *     ∂w_j += δ h x_c − δ g c f n/(‖w‖n+ε) · ŵ_j,   ∂x_c += δ h w_j
 *     ∂n   += δ (−g c f ‖w‖/(‖w‖n+ε) + g c α f / (r ν)),   ∂γ_j += δ g c f,   ∂α += δ g c f ln r
 *   equivariant decoding adds ∂α_j += z u q (−ln r) and ∂n += z u (1−α) q / (r ν).
 * Then ∂x_c += ∂n · x_c / n, and b_dec gets Σ G (if included) − Σ ∂x_c.
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
): void {
  const { d, score, eps } = sae.config;
  const { encoder, decoder } = sae.params;
  const { nu } = sae.constants;
  const { encoderNorm, gain, alpha } = terms;
  const { rows, xc, norm } = pa;
  const ctor = floatCtor(encoder);
  const count = codes.rowStart[rows]!;
  const decoderCoef = new ctor(count);
  const encoderCoef = new ctor(count);
  const dNorm = new Float64Array(rows);
  const dEncoderNorm = new Float64Array(encoder.length / d);
  const equivariant = sae.config.decode === "equivariant";
  const learnsAlpha = score === "blend" || score === "blend-feature";
  // u_i = G_t · d_j and a_i = w_j · x_c,t for every selected (t, j): the O(B·k·d) part, in the kernels.
  const upstreamDot = new Float64Array(count);
  const encoderDot = new Float64Array(count);
  kernels.sparseRowDot(codes, upstream, decoder, d, upstreamDot);
  kernels.sparseRowDot(codes, xc, encoder, d, encoderDot);

  for (let t = 0; t < rows; t++) {
    const n = norm[t]!;
    const r = n / nu;
    const logR = Math.log(Math.max(r, Number.MIN_VALUE));
    for (let i = codes.rowStart[t]!; i < codes.rowStart[t + 1]!; i++) {
      const j = codes.index[i]!;
      const z = codes.value[i]!;
      const u = upstreamDot[i]!;
      const a = encoderDot[i]!;
      const q = decodeScale(sae, terms, norm, t, j);
      const alphaJ = alpha[j]!;
      decoderCoef[i] = z * q;
      const delta = q * u;
      if (equivariant && score !== "inner") {
        if (learnsAlpha) grads.alpha[score === "blend" ? 0 : j]! += z * u * q * -logR;
        dNorm[t]! += (z * u * (1 - alphaJ) * q) / (r * nu);
      }
      grads.bEnc[j]! += delta;
      if (score === "inner") {
        encoderCoef[i] = delta;
        continue;
      }
      const den = encoderNorm[j]! * n + eps;
      const f = score === "cosine" ? 1 : Math.exp(alphaJ * logR);
      const gcf = (gain[j]! * a * f) / den; // g c f
      grads.logGain[j]! += delta * gcf;
      if (learnsAlpha) grads.alpha[score === "blend" ? 0 : j]! += delta * gcf * logR;
      encoderCoef[i] = (delta * gain[j]! * f) / den;
      dEncoderNorm[j]! -= (delta * gcf * n) / den;
      dNorm[t]! += delta * ((-gcf * encoderNorm[j]!) / den + (gcf * alphaJ) / (r * nu));
    }
  }

  const rowsOf = (value: FloatArray): SparseRows => ({ ...codes, value });
  kernels.sparseAccumulate(rowsOf(decoderCoef), upstream, d, grads.decoder);
  kernels.sparseAccumulate(rowsOf(encoderCoef), xc, d, grads.encoder);
  const dxc = new ctor(rows * d);
  kernels.sparseDecode(rowsOf(encoderCoef), encoder, d, dxc);
  // ∂x_c,t += (∂n_t / n_t) x_c,t and ∂w_j += (∂‖w_j‖ / ‖w_j‖) w_j, as diagonal sparse scatters.
  const dNormScale = new Float64Array(rows);
  for (let t = 0; t < rows; t++) dNormScale[t] = dNorm[t]! / Math.max(norm[t]!, Number.MIN_VALUE);
  kernels.sparseAccumulate(diagonal(dNormScale, ctor), xc, d, dxc);
  const dEncoderNormScale = new Float64Array(dEncoderNorm.length);
  for (let j = 0; j < dEncoderNorm.length; j++) {
    if (dEncoderNorm[j] !== 0) dEncoderNormScale[j] = dEncoderNorm[j]! / encoderNorm[j]!;
  }
  kernels.sparseAccumulate(diagonal(dEncoderNormScale, ctor), encoder, d, grads.encoder);
  // x_c = x̃ − b_dec, so b_dec receives −Σ_t ∂L/∂x_c; x̂ = … + b_dec adds Σ_t G_t.
  for (let t = 0; t < rows; t++) {
    for (let c = 0; c < d; c++) {
      grads.bDec[c]! += (includeBias ? upstream[t * d + c]! : 0) - dxc[t * d + c]!;
    }
  }
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

/** Σ‖v_t − v̄‖² over rows, in float64. */
export function centredSumOfSquares(v: FloatArray, rows: number, d: number): number {
  const mean = new Float64Array(d);
  for (let t = 0; t < rows; t++) for (let c = 0; c < d; c++) mean[c]! += v[t * d + c]!;
  for (let c = 0; c < d; c++) mean[c]! /= rows;
  let s = 0;
  for (let t = 0; t < rows; t++) for (let c = 0; c < d; c++) s += (v[t * d + c]! - mean[c]!) ** 2;
  return s;
}
