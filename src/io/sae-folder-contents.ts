/**
 * What an SAE folder holds, as values (no file system, so the browser can build
 * one too): the file names, cfg.json's contents and the weight tensors.
 * sae-folder.ts writes and reads the folder, and re-exports this file.
 */
import { hasGain } from "../kernels/score-family.js";
import type { SaeConfig } from "../model/config.js";
import type { Sae } from "../model/sae.js";
import type { TensorEntry } from "./safetensors-bytes.js";

/**
 * An SAE on disk (DESIGN §6): a folder with `cfg.json` and
 * `sae_weights.safetensors`, keys named as SAELens names them — `W_enc` [d, m],
 * `W_dec` [m, d], `b_enc`, `b_dec`, `threshold` [m] (τ for every latent, or
 * θ_j for jumprelu) — plus `gain` = exp(γ) [m] and `alpha` for the cosine family,
 * and the scalars `scale_s`, `norm_nu`.
 */
export const weightsFile = "sae_weights.safetensors";
export const configFile = "cfg.json";

export interface SaeFileConfig {
  architecture: "cosae";
  d_in: number;
  d_sae: number;
  /** 0 (or absent when read) for jumprelu */
  k: number;
  score: SaeConfig["score"];
  activation: SaeConfig["activation"];
  decode: SaeConfig["decode"];
  /** what the cosine and r look at: "centred" x_c = x/scale_s − b_dec, or "uncentred" x/scale_s; absent (files before it) = centred */
  cosine_of?: SaeConfig["cosineOf"];
  alpha_init: number;
  eps: number;
  /** x̃ = x / scale_s */
  scale_s: number;
  norm_nu: number;
  /** τ in full float64 precision (the weights file holds it as float32) */
  threshold_tau: number;
  dtype: "float32";
  /** how to compute the score, for readers outside cosae */
  score_formula: string;
  /** free-form provenance (data, training options) */
  metadata?: Record<string, unknown>;
}

/** w_j is column j of W_enc [d, m]; |.| the Euclidean norm; v the vector the score looks at. */
function scoreOf(score: SaeConfig["score"], v: string): string {
  const cos = `gain_j * (w_j . ${v})/(|w_j| |${v}| + eps)`;
  const r = `r = |${v}|/norm_nu; `;
  return {
    inner: `p_j = w_j . ${v} + b_enc_j`,
    cosine: `p_j = ${cos} + b_enc_j`,
    blend: `${r}p_j = ${cos} * r^alpha + b_enc_j`,
    "blend-feature": `${r}p_j = ${cos} * r^alpha_j + b_enc_j`,
  }[score];
}

/** The score's vector and how it is made: x_c = x̃ − b_dec, or x_s = x̃ (cosineOf "uncentred"). */
function scoreInput(c: SaeConfig): { v: string; line: string } {
  return c.cosineOf === "uncentred"
    ? { v: "x_s", line: "x_s = x/scale_s (uncentred: the score looks at x_s, not x_s - b_dec)" }
    : { v: "x_c", line: "x_c = x/scale_s - b_dec" };
}

const sparsifiers: Record<SaeConfig["activation"], string> = {
  batchtopk: "z_j = p_j if p_j > threshold_tau and p_j > 0, else 0 (BatchTopK at inference: JumpReLU at tau)",
  topk: "z_j = p_j for the k largest positive p_j of the token, else 0 (TopK)",
  jumprelu:
    "z_j = p_j if p_j > threshold_j and p_j > 0, else 0 (JumpReLU, threshold_j from the threshold tensor)",
};

/** The decoder's per-latent magnitude exponent a_j of equivariant decoding. */
const exponents: Record<SaeConfig["score"], string> = {
  inner: "a_j = 1",
  cosine: "a_j = 0",
  blend: "a_j = alpha",
  "blend-feature": "a_j = alpha_j",
};

/**
 * The whole inference computation in one line, for readers outside cosae:
 * input scaling, score, sparsifier, decoder and the raw-unit reconstruction.
 * Plain decoding is the unlabelled `x_hat = ...`; only equivariant decoding
 * carries the `decode:` label (readers may key on it).
 */
export function scoreFormula(c: SaeConfig): string {
  const { v, line } = scoreInput(c);
  const decoder =
    c.decode === "equivariant"
      ? `decode: x_hat = sum_j z_j r^(1-a_j) W_dec_j + b_dec with r = |${v}|/norm_nu, ${exponents[c.score]}`
      : "x_hat = sum_j z_j W_dec_j + b_dec";
  return [
    line,
    "w_j = W_enc[:, j], W_dec_j = W_dec[j, :]",
    scoreOf(c.score, v),
    sparsifiers[c.activation],
    decoder,
    "reconstruction of x = scale_s * x_hat",
  ].join("; ");
}

export function saeFileConfig(sae: Sae, metadata?: Record<string, unknown>): SaeFileConfig {
  const c = sae.config;
  return {
    architecture: "cosae",
    d_in: c.d,
    d_sae: c.m,
    k: c.activation === "jumprelu" ? 0 : c.k,
    score: c.score,
    activation: c.activation,
    decode: c.decode,
    cosine_of: c.cosineOf,
    alpha_init: c.alphaInit,
    eps: c.eps,
    scale_s: sae.constants.scale,
    norm_nu: sae.constants.nu,
    threshold_tau: sae.constants.threshold,
    dtype: "float32",
    score_formula: scoreFormula(c),
    ...(metadata ? { metadata } : {}),
  };
}

/** The weights as safetensors entries (encoder transposed to SAELens's [d, m]). */
export function saeTensors(sae: Sae): Record<string, TensorEntry> {
  const { d, m } = sae.config;
  const p = sae.params;
  const wEnc = new Float32Array(d * m);
  for (let j = 0; j < m; j++) for (let c = 0; c < d; c++) wEnc[c * m + j] = p.encoder[j * d + c]!;
  const f32 = (data: ArrayLike<number>, shape: number[]): TensorEntry => ({
    dtype: "F32",
    shape,
    data: Float32Array.from(data),
  });
  const tensors: Record<string, TensorEntry> = {
    W_enc: { dtype: "F32", shape: [d, m], data: wEnc },
    W_dec: f32(p.decoder, [m, d]),
    b_enc: f32(p.bEnc, [m]),
    b_dec: f32(p.bDec, [d]),
    threshold: f32(jumpThresholds(sae) ?? new Float32Array(m).fill(sae.constants.threshold), [m]),
    scale_s: { dtype: "F64", shape: [], data: Float64Array.of(sae.constants.scale) },
    norm_nu: { dtype: "F64", shape: [], data: Float64Array.of(sae.constants.nu) },
  };
  if (hasGain(sae.config.score)) tensors.gain = f32(p.logGain.map(Math.exp), [m]);
  if (p.alpha.length > 0) tensors.alpha = f32(p.alpha, [p.alpha.length]);
  return tensors;
}

/** θ_j of a jumprelu SAE (checked against m), or null for the other activations. */
function jumpThresholds(sae: Sae): Float32Array | null {
  if (sae.config.activation !== "jumprelu") return null;
  const theta = sae.constants.thresholds;
  if (theta?.length !== sae.config.m)
    throw new Error(
      `a jumprelu SAE needs ${sae.config.m} per-latent thresholds, found ${theta?.length ?? "none"}`,
    );
  return theta;
}

/**
 * An SAE with a NaN or ∞ is refused before it is written, whatever produced it:
 * no reader would accept it. `file` names what was being written.
 */
export function checkFiniteTensors(tensors: Record<string, TensorEntry>, file: string): void {
  for (const [name, t] of Object.entries(tensors)) {
    const data = t.data as Float32Array | Float64Array;
    const i = data.findIndex((v) => !Number.isFinite(v));
    if (i >= 0)
      throw new Error(
        `cannot write ${file}: tensor "${name}" holds ${data[i]} at entry ${i}; ` +
          "an SAE with non-finite values would not load",
      );
  }
}
