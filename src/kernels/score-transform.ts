import type { FloatArray } from "./arrays.js";
import { type ScoreKind, scoreFacts } from "./score-family.js";

/**
 * What turns the raw products a_tj = w_j · x_c,t into pre-activations (DESIGN §2):
 *   inner:          p = a + b_j
 *   cosine family:  p = g_j · a / (‖w_j‖ n_t + ε) · r_t^α_j + b_j,  r_t = n_t / ν
 * with α_j = 0 for cosine, alpha[0] for blend, alpha[j] for blend-feature.
 */
export interface ScoreSpec {
  score: ScoreKind;
  /** b_enc [m] */
  bias: FloatArray;
  /** g_j = exp(γ_j) [m] (1 for inner) */
  gain: Float64Array;
  /** ‖w_j‖ [m] */
  encoderNorm: Float64Array;
  /** α_j [m] (see above; unused for inner and cosine) */
  alpha: Float64Array;
  /** n_t = ‖x_c,t‖ [rows] */
  norm: Float64Array;
  nu: number;
  eps: number;
}

/** The reference transform, in the precision of `a` (float64 on the gradient-check path). */
export function applyScore(a: FloatArray, rows: number, m: number, spec: ScoreSpec): void {
  const { score, bias, gain, encoderNorm, alpha, norm, nu, eps } = spec;
  const { cosine, alpha: alphaMode } = scoreFacts(score);
  if (!cosine) {
    for (let t = 0; t < rows; t++) for (let j = 0; j < m; j++) a[t * m + j]! += bias[j]!;
    return;
  }
  for (let t = 0; t < rows; t++) {
    const n = norm[t]!;
    const logR = Math.log(Math.max(n, Number.MIN_VALUE) / nu);
    const globalF = alphaMode === "global" ? Math.exp(alpha[0]! * logR) : 1;
    const base = t * m;
    for (let j = 0; j < m; j++) {
      const f = alphaMode === "per-latent" ? Math.exp(alpha[j]! * logR) : globalF;
      a[base + j] = (gain[j]! * f * a[base + j]!) / (encoderNorm[j]! * n + eps) + bias[j]!;
    }
  }
}
