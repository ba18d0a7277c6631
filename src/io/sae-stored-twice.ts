import { alphaCount, hasGain } from "../kernels/score-family.js";
import type { SaeConfig } from "../model/config.js";
import type { TensorEntry } from "./safetensors.js";

/**
 * A cosae SAE folder stores some values twice: the scalars `scale_s`, `norm_nu`
 * and τ both in cfg.json and as tensors, the score kind both as cfg.json's
 * `score` and as which tensors exist (`gain`, `alpha`). A folder whose two
 * copies disagree (one file edited, or copied from another SAE) would evaluate
 * to garbage with exit 0, so it is refused, naming both values and both files.
 */

/** The tensor names a cosae weights file holds for this config (DESIGN §6). */
export function expectedTensorNames(config: Pick<SaeConfig, "score" | "m">): string[] {
  const names = ["W_enc", "W_dec", "b_enc", "b_dec", "threshold", "scale_s", "norm_nu"];
  if (hasGain(config.score)) names.push("gain");
  if (alphaCount(config) > 0) names.push("alpha");
  return names;
}

/** Refuses tensors that the config's score kind has no use for (e.g. `alpha` beside `"score": "cosine"`). */
export function checkNoExtraTensors(
  tensors: Record<string, TensorEntry>,
  config: Pick<SaeConfig, "score" | "m">,
  weightsPath: string,
  cfgPath: string,
): void {
  const expected = expectedTensorNames(config);
  const extra = Object.keys(tensors).filter((name) => !expected.includes(name));
  if (extra.length === 0) return;
  throw new Error(
    `${weightsPath}: tensor${extra.length > 1 ? "s" : ""} ${extra.map((n) => `"${n}"`).join(", ")} ` +
      `${extra.length > 1 ? "have" : "has"} no place in an SAE whose score is "${config.score}" (${cfgPath} says "score": ` +
      `"${config.score}", whose tensors are ${expected.join(", ")}); the two files come from different SAEs`,
  );
}

/**
 * A scalar stored in cfg.json (float64) and as a tensor: they must be equal
 * (the tensor may hold the float32 rounding of the cfg value).
 */
export function checkSameScalar(
  name: string,
  tensorValue: number,
  cfgValue: number,
  weightsPath: string,
  cfgPath: string,
  cfgKey = name,
): void {
  if (tensorValue === cfgValue || tensorValue === Math.fround(cfgValue)) return;
  throw new Error(
    `${weightsPath}: tensor "${name}" holds ${tensorValue} but ${cfgPath} has "${cfgKey}": ${cfgValue}; ` +
      "the two files disagree (one was edited, or they come from different SAEs): restore the folder as written",
  );
}

/** Every entry of the threshold tensor of a batchtopk/topk SAE is τ (in float32). */
export function checkThresholdIsTau(
  threshold: Float32Array,
  tau: number,
  weightsPath: string,
  cfgPath: string,
): void {
  const want = Math.fround(tau);
  const j = threshold.findIndex((v) => v !== want);
  if (j < 0) return;
  throw new Error(
    `${weightsPath}: tensor "threshold" holds ${threshold[j]} at latent ${j} but ${cfgPath} has ` +
      `"threshold_tau": ${tau}, which every latent shares for this activation; the two files disagree ` +
      "(one was edited, or they come from different SAEs): restore the folder as written",
  );
}

/** The gain is exp(γ): zero or negative values have no γ. */
export function checkPositiveGain(gain: Float32Array, weightsPath: string): void {
  const j = gain.findIndex((v) => !(v > 0));
  if (j < 0) return;
  throw new Error(
    `${weightsPath}: tensor "gain" holds ${gain[j]} at latent ${j}; a gain is exp(γ) and must be positive`,
  );
}
