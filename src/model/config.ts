/** The SAE's architecture (DESIGN §2). Training options live in training/train-config.ts. */
import { isCosine, type ScoreKind } from "../kernels/score-family.js";

/**
 * Sparsifiers. `jumprelu` (per-latent thresholds θ_j, z_j = p_j · 1[p_j > θ_j])
 * is inference only: it is what imported SAELens SAEs use, and training refuses it.
 */
export const activations = ["batchtopk", "topk", "jumprelu"] as const;
/** The sparsifiers cosae can train. */
export const trainableActivations = ["batchtopk", "topk"] as const;
/** Decoding laws: plain x̂ = Σ z_j d_j, or equivariant with the scale r^(1−α_j). */
export const decodings = ["plain", "equivariant"] as const;

/**
 * Where the cosine family's score looks (issue 16 §4): the centred x_c = x̃ − b_dec
 * (DESIGN §2), or the uncentred x̃. Either way b_dec is added back in decoding.
 */
export const cosineOrigins = ["centred", "uncentred"] as const;

/** A sparsifier: `batchtopk`, `topk`, or `jumprelu` (inference only). */
export type Activation = (typeof activations)[number];
/** A sparsifier cosae can train: `batchtopk` or `topk`. */
export type TrainableActivation = (typeof trainableActivations)[number];
/** A decoding law: `plain` or `equivariant`. */
export type Decoding = (typeof decodings)[number];
/** The vector the cosine and r are taken of: `centred` x_c or `uncentred` x̃. */
export type CosineOrigin = (typeof cosineOrigins)[number];

/** An SAE's shape and architecture: width d, latents m, k, score, sparsifier, decoding, cosine origin, α₀ and ε. */
export interface SaeConfig {
  /** input width */
  d: number;
  /** number of latents */
  m: number;
  /** mean active latents per token (batchtopk), per token (topk); 0 and unused for jumprelu */
  k: number;
  score: ScoreKind;
  activation: Activation;
  decode: Decoding;
  /**
   * The vector v the cosine c_j = w_j·v/(‖w_j‖‖v‖ + ε) and the norm ratio r = ‖v‖/ν are
   * taken of: `centred` v = x_c = x̃ − b_dec (DESIGN §2), or `uncentred` v = x̃, with ν
   * then the mean ‖x̃‖ (so r ≈ 1 for a typical token either way) and r = ‖x̃‖/ν in the
   * score and in equivariant decoding alike. Uncentred, b_dec reaches the loss only
   * through x̂ = Σ z_j d_j + b_dec: the score path gives it no gradient. Always
   * `centred` for `inner`: its p = w_j·x_c + b_enc is SAELens's form, and w_j·x̃ would
   * only move b_enc_j by w_j·b_dec (checkCosineOrigin refuses it).
   */
  cosineOf: CosineOrigin;
  /** initial α for blend / blend-feature */
  alphaInit: number;
  /** ε in the cosine's denominator ‖w‖‖x_c‖ + ε */
  eps: number;
}

/**
 * Why `cosineOf: "uncentred"` is refused for a score without a cosine (`inner`), or
 * null when the pair is valid; the callers name the option as their input spells it.
 */
export function cosineOriginProblem(score: ScoreKind, cosineOf: CosineOrigin): string | null {
  if (cosineOf === "uncentred" && !isCosine(score))
    return (
      `"uncentred" applies to the cosine family only (cosine, blend, blend-feature), not to score "${score}": ` +
      "its p = w_j·x_c + b_enc is SAELens's form, and w_j·x̃ would only shift b_enc_j by w_j·b_dec"
    );
  return null;
}
