/** The SAE's architecture (DESIGN §2). Training options live in training/train-config.ts. */
import type { ScoreKind } from "../kernels/score-family.js";

/**
 * Sparsifiers. `jumprelu` (per-latent thresholds θ_j, z_j = p_j · 1[p_j > θ_j])
 * is inference only: it is what imported SAELens SAEs use, and training refuses it.
 */
export const activations = ["batchtopk", "topk", "jumprelu"] as const;
/** The sparsifiers cosae can train. */
export const trainableActivations = ["batchtopk", "topk"] as const;
/** Decoding laws: plain x̂ = Σ z_j d_j, or equivariant with the scale r^(1−α_j). */
export const decodings = ["plain", "equivariant"] as const;

/** A sparsifier: `batchtopk`, `topk`, or `jumprelu` (inference only). */
export type Activation = (typeof activations)[number];
/** A sparsifier cosae can train: `batchtopk` or `topk`. */
export type TrainableActivation = (typeof trainableActivations)[number];
/** A decoding law: `plain` or `equivariant`. */
export type Decoding = (typeof decodings)[number];

/** An SAE's shape and architecture: width d, latents m, k, score, sparsifier, decoding, α₀ and ε. */
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
  /** initial α for blend / blend-feature */
  alphaInit: number;
  /** ε in the cosine's denominator ‖w‖‖x_c‖ + ε */
  eps: number;
}
