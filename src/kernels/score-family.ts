/**
 * The encoder scores and the facts each one implies (DESIGN §2), in one table:
 * every caller — the model, the kernels, the files, and the native addon through
 * the flags native.ts resolves from it — reads a score's facts here, never from
 * its name.
 */
export const scoreKinds = ["inner", "cosine", "blend", "blend-feature"] as const;

/** An encoder score: `inner`, `cosine`, `blend` (one α) or `blend-feature` (one α per latent). */
export type ScoreKind = (typeof scoreKinds)[number];

/** How a score's magnitude exponent α is held: fixed, one learned α, or one per latent. */
export type AlphaMode = "fixed" | "global" | "per-latent";

export interface ScoreFacts {
  /** the cosine family: p = g_j · a / (‖w_j‖ n_t + ε) · r_t^α_j + b_j with a gain γ; else p = a + b_j */
  cosine: boolean;
  /** whether α is learned, and how many (fixed: 1 for inner, 0 for cosine) */
  alpha: AlphaMode;
}

const facts: Record<ScoreKind, ScoreFacts> = {
  inner: { cosine: false, alpha: "fixed" },
  cosine: { cosine: true, alpha: "fixed" },
  blend: { cosine: true, alpha: "global" },
  "blend-feature": { cosine: true, alpha: "per-latent" },
};

export function scoreFacts(score: ScoreKind): ScoreFacts {
  return facts[score];
}

/** Is this score in the cosine family (normalised by ‖w_j‖ n_t)? */
export function isCosine(score: ScoreKind): boolean {
  return facts[score].cosine;
}

/** Does this score carry a gain γ (the cosine family)? */
export function hasGain(score: ScoreKind): boolean {
  return facts[score].cosine;
}

/** Does this score learn α (blend, blend-feature)? */
export function learnsAlpha(score: ScoreKind): boolean {
  return facts[score].alpha !== "fixed";
}

/** How many α this score learns: 0, one global, or one per latent. */
export function alphaCount(config: { score: ScoreKind; m: number }): number {
  const mode = facts[config.score].alpha;
  return mode === "global" ? 1 : mode === "per-latent" ? config.m : 0;
}

/**
 * The magnitude exponent of latent j: 1 for inner (the score grows like ‖x‖),
 * 0 for cosine, the learned α otherwise.
 */
export function alphaOf(score: ScoreKind, alpha: ArrayLike<number>, j: number): number {
  const { cosine, alpha: mode } = facts[score];
  if (mode === "global") return alpha[0]!;
  if (mode === "per-latent") return alpha[j]!;
  return cosine ? 0 : 1;
}
