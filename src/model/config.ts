/** The SAE's architecture (DESIGN §2). Training options live in training/train-config.ts. */
export const scoreKinds = ["inner", "cosine", "blend", "blend-feature"] as const;
/**
 * Sparsifiers. `jumprelu` (per-latent thresholds θ_j, z_j = p_j · 1[p_j > θ_j])
 * is inference only: it is what imported SAELens SAEs use, and training refuses it.
 */
export const activations = ["batchtopk", "topk", "jumprelu"] as const;
/** The sparsifiers cosae can train. */
export const trainableActivations = ["batchtopk", "topk"] as const;
/** Decoding laws: plain x̂ = Σ z_j d_j, or equivariant with the scale r^(1−α_j). */
export const decodings = ["plain", "equivariant"] as const;

/** An encoder score: `inner`, `cosine`, `blend` (one α) or `blend-feature` (one α per latent). */
export type ScoreKind = (typeof scoreKinds)[number];
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

/** Does this score carry a gain γ (the cosine family)? */
export function hasGain(score: ScoreKind): boolean {
  return score !== "inner";
}

/** How many α this score learns: 0, one global, or one per latent. */
export function alphaCount(config: Pick<SaeConfig, "score" | "m">): number {
  return config.score === "blend" ? 1 : config.score === "blend-feature" ? config.m : 0;
}

/**
 * The magnitude exponent of latent j: 1 for inner (the score grows like ‖x‖),
 * 0 for cosine, the learned α otherwise.
 */
export function alphaOf(score: ScoreKind, alpha: ArrayLike<number>, j: number): number {
  switch (score) {
    case "inner":
      return 1;
    case "cosine":
      return 0;
    case "blend":
      return alpha[0]!;
    case "blend-feature":
      return alpha[j]!;
  }
}
