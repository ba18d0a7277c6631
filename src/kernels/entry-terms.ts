import type { FloatArray, SparseRows } from "./arrays.js";
import { type ScoreKind, scoreFacts } from "./score-family.js";

/**
 * The per-entry scalar math of the backward pass (src/model/loss.ts), around the
 * O(nnz·d) latent pass. For each selected entry i = (t, j), with q the decoder
 * scale and f = r^α (both 1 unless `scale` / `power` are given: they need exp,
 * which stays in TypeScript so every kernel set rounds it alike):
 *   before: decoderCoef_i = z q,  encoderScale_i = h = q g f / (‖w_j‖ n + ε)  (q for inner)
 *   after, from u = G_t · d_j and a = w_j · x_c,t:  δ = q u and the sums of
 *   ∂b_enc, ∂γ, ∂α, ∂‖w_j‖, ∂n_t and C_j = Σ float(u h), in row order.
 */
export interface EntryTerms {
  score: ScoreKind;
  equivariant: boolean;
  nu: number;
  eps: number;
  /** n_t = ‖x_c,t‖ and ln r_t [rows] */
  norm: Float64Array;
  logRatio: Float64Array;
  /** g_j, ‖w_j‖, α_j [m] */
  gain: Float64Array;
  encoderNorm: Float64Array;
  alpha: Float64Array;
  /** q and f per entry, or null when all are 1 */
  scale: Float64Array | null;
  power: Float64Array | null;
}

/** Where entryReductions adds its sums (gradients in parameter precision, the rest float64). */
export interface EntrySums {
  bEnc: FloatArray;
  logGain: FloatArray;
  alpha: FloatArray;
  /** ∂L/∂n_t [rows] */
  dNorm: Float64Array;
  /** ∂L/∂‖w_j‖ [m] */
  dEncoderNorm: Float64Array;
  /** C_j [m] */
  encoderCoefSum: Float64Array;
}

/** Kernels.entryCoefficients: z q and h per entry (DESIGN §2 notation). */
export function entryCoefficients(
  codes: SparseRows,
  e: EntryTerms,
  decoderCoef: FloatArray,
  encoderScale: Float64Array,
): void {
  const { score, norm, gain, encoderNorm, scale, power, eps } = e;
  const { cosine } = scoreFacts(score);
  for (let t = 0; t < codes.rows; t++) {
    const n = norm[t]!;
    for (let i = codes.rowStart[t]!; i < codes.rowStart[t + 1]!; i++) {
      const j = codes.index[i]!;
      const q = scale ? scale[i]! : 1;
      decoderCoef[i] = codes.value[i]! * q;
      if (!cosine) {
        encoderScale[i] = q;
        continue;
      }
      const f = power ? power[i]! : 1;
      encoderScale[i] = (q * gain[j]! * f) / (encoderNorm[j]! * n + eps);
    }
  }
}

/** Kernels.entryReductions: adds each entry's terms into `sums`, in row order. */
export function entryReductions(
  codes: SparseRows,
  e: EntryTerms,
  upstreamDot: Float64Array,
  encoderDot: Float64Array,
  encoderScale: Float64Array,
  sums: EntrySums,
): void {
  const { score, equivariant, nu, eps, norm, logRatio, gain, encoderNorm, alpha, scale, power } = e;
  const { bEnc, logGain, dNorm, dEncoderNorm, encoderCoefSum } = sums;
  const { cosine, alpha: alphaMode } = scoreFacts(score);
  const learnsAlpha = alphaMode !== "fixed";
  const globalAlpha = alphaMode === "global"; // one α for all latents
  const round = bEnc instanceof Float32Array ? Math.fround : (v: number) => v;
  for (let t = 0; t < codes.rows; t++) {
    const n = norm[t]!;
    const r = n / nu;
    const logR = logRatio[t]!;
    for (let i = codes.rowStart[t]!; i < codes.rowStart[t + 1]!; i++) {
      const j = codes.index[i]!;
      const z = codes.value[i]!;
      const u = upstreamDot[i]!;
      const a = encoderDot[i]!;
      const q = scale ? scale[i]! : 1;
      const alphaJ = alpha[j]!;
      const delta = q * u;
      if (equivariant && cosine) {
        if (learnsAlpha) sums.alpha[globalAlpha ? 0 : j]! += z * u * q * -logR;
        dNorm[t]! += (z * u * (1 - alphaJ) * q) / (r * nu);
      }
      bEnc[j]! += delta;
      encoderCoefSum[j]! += round(u * encoderScale[i]!);
      if (!cosine) continue;
      const den = encoderNorm[j]! * n + eps;
      const gcf = (gain[j]! * a * (power ? power[i]! : 1)) / den; // g c f
      logGain[j]! += delta * gcf;
      if (learnsAlpha) sums.alpha[globalAlpha ? 0 : j]! += delta * gcf * logR;
      dEncoderNorm[j]! -= (delta * gcf * n) / den;
      dNorm[t]! += delta * ((-gcf * encoderNorm[j]!) / den + (gcf * alphaJ) / (r * nu));
    }
  }
}
