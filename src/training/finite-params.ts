import { type ParamName, paramNames, type Sae } from "../model/sae.js";
import { firstNonFiniteIndex } from "../util/non-finite.js";

/**
 * A diverged run can keep a finite loss while a parameter overflows (the
 * cosine score normalises a huge encoder away; γ = 1e30 is finite but its gain
 * exp(γ) is not), so the parameters themselves are checked, as the file will
 * hold them: float32, and the gain as exp(γ).
 */

/** The names the SAE folder gives each parameter (sae_weights.safetensors). */
export const fileNameOfParam: Record<ParamName, string> = {
  encoder: "W_enc",
  decoder: "W_dec",
  bEnc: "b_enc",
  bDec: "b_dec",
  logGain: "gain",
  alpha: "alpha",
};

export interface NonFiniteEntry {
  /** the tensor's name in the SAE folder (W_enc, gain …) or the constant (threshold_tau …) */
  name: string;
  index: number;
  value: number;
}

/** γ above this gives a gain exp(γ) that float32 cannot hold (ln of the largest float32). */
const maxLogGain = Math.log(3.4028234663852886e38);

/** The parameters with one entry per latent or dimension: checking them costs O(m + d), not O(m·d). */
const smallParams: readonly ParamName[] = ["bEnc", "bDec", "logGain", "alpha"];

/**
 * The first parameter entry (or constant) that is not finite as stored, or null.
 * Parameters are float32 already, and the gain overflows when γ exceeds
 * ln(max float32). `"small"` skips W_enc and W_dec: a full pass costs ≈ 50 ms
 * at 768 × 16384, too much for every logged step.
 */
export function firstNonFiniteParam(sae: Sae, which: "all" | "small" = "all"): NonFiniteEntry | null {
  for (const p of which === "all" ? paramNames : smallParams) {
    const a = sae.params[p];
    const i = firstNonFiniteIndex(a);
    if (i >= 0)
      return { name: fileNameOfParam[p], index: i, value: p === "logGain" ? Math.exp(a[i]!) : a[i]! };
  }
  const logGain = sae.params.logGain;
  for (let i = 0; i < logGain.length; i++)
    if (logGain[i]! > maxLogGain) return { name: fileNameOfParam.logGain, index: i, value: Infinity };
  const { scale, nu, threshold } = sae.constants;
  const constants = { scale_s: scale, norm_nu: nu, threshold_tau: threshold };
  for (const [name, value] of Object.entries(constants))
    if (!Number.isFinite(value)) return { name, index: 0, value };
  return null;
}

export class TrainingDivergedError extends Error {
  override name = "TrainingDivergedError";
}

/** Throws when a parameter (of `which`, see firstNonFiniteParam) is not finite after `step` steps, saying what to do. */
export function checkFiniteParams(sae: Sae, step: number, lr: number, which: "all" | "small" = "all"): void {
  const bad = firstNonFiniteParam(sae, which);
  if (bad === null) return;
  throw new TrainingDivergedError(
    `training diverged at step ${step}: parameter "${bad.name}" holds ${bad.value} (entry ${bad.index}), ` +
      `so no SAE was written; lower --lr (it was ${lr}) or set --clipGradNorm`,
  );
}
