import { type ParamName, paramNames, type Sae } from "../model/sae.js";

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

/** The first parameter entry (or constant) that is not finite as stored, or null. */
export function firstNonFiniteParam(sae: Sae): NonFiniteEntry | null {
  for (const p of paramNames) {
    const a = sae.params[p];
    const stored = p === "logGain" ? (v: number) => Math.fround(Math.exp(v)) : Math.fround;
    for (let i = 0; i < a.length; i++) {
      const v = stored(a[i]!);
      if (!Number.isFinite(v)) return { name: fileNameOfParam[p], index: i, value: v };
    }
  }
  const { scale, nu, threshold } = sae.constants;
  const constants = { scale_s: scale, norm_nu: nu, threshold_tau: threshold };
  for (const [name, value] of Object.entries(constants))
    if (!Number.isFinite(value)) return { name, index: 0, value };
  return null;
}

export class TrainingDivergedError extends Error {
  override name = "TrainingDivergedError";
}

/** Throws when a parameter is not finite after `step` steps, saying what to do. */
export function checkFiniteParams(sae: Sae, step: number, lr: number): void {
  const bad = firstNonFiniteParam(sae);
  if (bad === null) return;
  throw new TrainingDivergedError(
    `training diverged at step ${step}: parameter "${bad.name}" holds ${bad.value} (entry ${bad.index}), ` +
      `so no SAE was written; lower --lr (it was ${lr}) or set --clipGradNorm`,
  );
}
