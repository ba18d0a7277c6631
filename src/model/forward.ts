import { type FloatArray, floatCtor, type SparseRows } from "../kernels/arrays.js";
import { centre as centreReference } from "../kernels/centre.js";
import type { Kernels } from "../kernels/kernels.js";
import type { PhaseClock } from "../kernels/phase-clock.js";
import { alphaOf, hasGain, isCosine } from "../kernels/score-family.js";
import type { ScoreSpec } from "../kernels/score-transform.js";
import { rowNorms } from "../kernels/sparse.js";
import type { Sae } from "./sae.js";
import { scratch, type Workspace, zeros } from "./workspace.js";

/**
 * The encoder's forward pass (DESIGN §2), in the notation there:
 *   x̃ = x / s,  x_c = x̃ − b_dec,  n = ‖x_c‖,  r = n / ν,  a_j = w_j · x_c
 *   inner:          p_j = a_j + b_j
 *   cosine family:  p_j = g_j · c_j · r^α_j + b_j,  c_j = a_j / (‖w_j‖ n + ε)
 * with α_j = 0 for cosine, the global α for blend, α_j for blend-feature.
 * With `cosineOf: "uncentred"` the score's input is x̃ instead of x_c (n = ‖x̃‖,
 * r = n / ν, a_j = w_j · x̃); decoding adds b_dec either way.
 */
export interface Preactivations {
  rows: number;
  /** x̃ [rows, d] */
  xs: FloatArray;
  /** the score's input: x_c [rows, d], or a copy of x̃ under cosineOf "uncentred" */
  xc: FloatArray;
  /** n_t = ‖xc_t‖: ‖x_c,t‖, or ‖x̃_t‖ uncentred */
  norm: Float64Array;
  /** p [rows, m]; may be the kernel's reused buffer, valid until its next denseScores call */
  pre: FloatArray;
}

/** Per-latent quantities shared by every token of a step. */
export interface LatentTerms {
  /** ‖w_j‖ */
  encoderNorm: Float64Array;
  /** g_j = exp(γ_j) (1 for inner) */
  gain: Float64Array;
  /** α_j (1 for inner, 0 for cosine) */
  alpha: Float64Array;
}

/**
 * The per-latent terms; `kernels` computes the O(m·d) encoder norms if given, unless
 * `encoderNorm` already holds them (the trainer's Adam step computes them in passing).
 * The inner score never reads ‖w_j‖ (p = w·x_c + b), so it skips that pass.
 */
export function latentTerms(sae: Sae, kernels?: Kernels, encoderNorm?: Float64Array): LatentTerms {
  const { d, m, score } = sae.config;
  const { encoder, logGain, alpha } = sae.params;
  if (!isCosine(score)) encoderNorm = new Float64Array(m).fill(1);
  encoderNorm ??= kernels ? kernels.rowNorms(encoder, m, d) : rowNorms(encoder, m, d);
  const gain = new Float64Array(m).fill(1);
  const a = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    if (hasGain(score)) gain[j] = Math.exp(logGain[j]!);
    a[j] = alphaOf(score, alpha, j);
  }
  return { encoderNorm, gain, alpha: a };
}

/**
 * Scales and centres the raw input: x̃ = x / s, x_c = x̃ − b_dec, n = ‖x_c‖ (in `kernels`
 * if given). Under cosineOf "uncentred" the origin is 0 instead of b_dec, so the same
 * kernel gives x_c = x̃ − 0 = x̃ bit for bit and n = ‖x̃‖.
 */
export function centre(
  sae: Sae,
  x: FloatArray,
  rows: number,
  kernels?: Kernels,
  ws?: Workspace,
): Omit<Preactivations, "pre"> {
  const { d } = sae.config;
  const ctor = floatCtor(sae.params.encoder);
  const xs = scratch(ws, "xs", ctor, rows * d);
  const xc = scratch(ws, "xc", ctor, rows * d);
  const norm = scratch(ws, "norm", Float64Array, rows);
  const run = kernels?.centre ?? centreReference;
  run(x, 1 / sae.constants.scale, scoreOrigin(sae), rows, d, xs, xc, norm);
  return { rows, xs, xc, norm };
}

/** The point the score looks from: b_dec (centred), or the origin (uncentred). */
export function scoreOrigin(sae: Sae): FloatArray {
  const { bDec } = sae.params;
  return sae.config.cosineOf === "uncentred" ? new (floatCtor(bDec))(bDec.length) : bDec;
}

/** What the kernels need to turn raw products into pre-activations. */
export function scoreSpec(sae: Sae, terms: LatentTerms, norm: Float64Array): ScoreSpec {
  const { score, eps } = sae.config;
  return { score, bias: sae.params.bEnc, ...terms, norm, nu: sae.constants.nu, eps };
}

/** Pre-activations p [rows, m] of a batch of raw inputs. */
export async function preactivations(
  sae: Sae,
  x: FloatArray,
  rows: number,
  kernels: Kernels,
  terms: LatentTerms = latentTerms(sae, kernels),
): Promise<Preactivations> {
  const { d, m } = sae.config;
  const centred = centre(sae, x, rows, kernels);
  const pre = await kernels.denseScores(centred.xc, sae.params.encoder, rows, d, m);
  kernels.applyScore(pre, rows, m, scoreSpec(sae, terms, centred.norm));
  return { ...centred, pre };
}

/**
 * Training-time encoding: pre-activations and the selected codes. BatchTopK
 * runs the score transform and the selection as one pass over the score matrix.
 */
export async function encodeTraining(
  sae: Sae,
  x: FloatArray,
  rows: number,
  kernels: Kernels,
  terms: LatentTerms,
  clock?: PhaseClock,
  ws?: Workspace,
): Promise<{ pa: Preactivations; codes: SparseRows }> {
  const { d, m, k } = sae.config;
  const centred = centre(sae, x, rows, kernels, ws);
  const pre = await kernels.denseScores(centred.xc, sae.params.encoder, rows, d, m);
  clock?.lap("scores");
  const spec = scoreSpec(sae, terms, centred.norm);
  let codes: SparseRows;
  if (sae.config.activation === "batchtopk") {
    codes = kernels.applyScoreSelectBatchTopK(pre, rows, m, spec, rows * k);
  } else {
    kernels.applyScore(pre, rows, m, spec);
    codes = selectTraining(sae, pre, rows, kernels);
  }
  clock?.lap("transform+select");
  return { pa: { ...centred, pre }, codes };
}

/** Decoder scale q_tj: 1 for plain decoding, r_t^(1−α_j) for equivariant. */
export function decodeScale(sae: Sae, terms: LatentTerms, norm: Float64Array, t: number, j: number): number {
  if (sae.config.decode === "plain") return 1;
  return Math.exp((1 - terms.alpha[j]!) * Math.log(Math.max(norm[t]!, Number.MIN_VALUE) / sae.constants.nu));
}

/** The codes' values multiplied by the decoder scale q (a copy sharing the sparsity pattern). */
export function scaledCodes(sae: Sae, terms: LatentTerms, codes: SparseRows, norm: Float64Array): SparseRows {
  if (sae.config.decode === "plain") return codes;
  const value = codes.value.slice();
  for (let t = 0; t < codes.rows; t++) {
    for (let i = codes.rowStart[t]!; i < codes.rowStart[t + 1]!; i++) {
      value[i]! *= decodeScale(sae, terms, norm, t, codes.index[i]!);
    }
  }
  return { ...codes, value };
}

/** x̂ = Σ_j z_j q_j d_j (+ b_dec) in scaled units; into `ws`'s buffer `name` if given. */
export function decode(
  sae: Sae,
  terms: LatentTerms,
  codes: SparseRows,
  norm: Float64Array,
  kernels: Kernels,
  withBias = true,
  ws?: Workspace,
  name = "xhat",
): FloatArray {
  const { d } = sae.config;
  const ctor = floatCtor(sae.params.decoder);
  const out = withBias ? scratch(ws, name, ctor, codes.rows * d) : zeros(ws, name, ctor, codes.rows * d);
  if (withBias) for (let t = 0; t < codes.rows; t++) out.set(sae.params.bDec, t * d);
  kernels.sparseDecode(scaledCodes(sae, terms, codes, norm), sae.params.decoder, d, out);
  return out;
}

/** Training-time sparsifier: BatchTopK keeps rows·k, TopK keeps k per row. */
export function selectTraining(sae: Sae, pre: FloatArray, rows: number, kernels: Kernels): SparseRows {
  const { m, k, activation } = sae.config;
  if (activation === "jumprelu")
    throw new Error("jumprelu SAEs are inference only (imported SAELens SAEs); they cannot be trained");
  return activation === "batchtopk"
    ? kernels.selectBatchTopK(pre, rows, m, rows * k)
    : kernels.selectTopK(pre, rows, m, k);
}

/**
 * Inference sparsifier; each token is encoded on its own. BatchTopK becomes
 * JumpReLU at the one threshold τ, `jumprelu` uses its per-latent θ_j; both keep
 * z_j = p_j · 1[p_j > θ_j] for positive p_j only.
 */
export function selectInference(sae: Sae, pre: FloatArray, rows: number, kernels: Kernels): SparseRows {
  const { m, k, activation } = sae.config;
  if (activation === "topk") return kernels.selectTopK(pre, rows, m, k);
  if (activation === "jumprelu") {
    const theta = sae.constants.thresholds;
    if (theta?.length !== m)
      throw new Error(`a jumprelu SAE needs ${m} per-latent thresholds, found ${theta?.length ?? "none"}`);
    return kernels.selectAboveThreshold(pre, rows, m, theta);
  }
  const tau = new Float64Array(m).fill(sae.constants.threshold);
  return kernels.selectAboveThreshold(pre, rows, m, tau);
}

/** Encode and reconstruct a batch at inference; the reconstruction is in raw units (s · x̂). */
export async function reconstruct(
  sae: Sae,
  x: FloatArray,
  rows: number,
  kernels: Kernels,
): Promise<{ codes: SparseRows; reconstruction: FloatArray; norm: Float64Array }> {
  const terms = latentTerms(sae, kernels);
  const pa = await preactivations(sae, x, rows, kernels, terms);
  const codes = selectInference(sae, pa.pre, rows, kernels);
  const reconstruction = decode(sae, terms, codes, pa.norm, kernels);
  const s = sae.constants.scale;
  for (let i = 0; i < reconstruction.length; i++) reconstruction[i]! *= s;
  return { codes, reconstruction, norm: pa.norm };
}
