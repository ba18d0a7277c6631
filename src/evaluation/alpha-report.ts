import type { FloatArray } from "../kernels/arrays.js";
import { quantileSorted } from "../util/quantile.js";

/** Summary of the magnitude dependence α (one scalar, or one α_j per latent). */
export interface AlphaReport {
  count: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
  mean: number;
  /** Share of α_j strictly above `above` (0.5 by default): latents closer to the inner product than to cosine. */
  shareAbove: number;
}

/** Distribution of α: min, quartiles, max, mean and the share above `above`. All NaN when empty. */
export function alphaReport(alpha: FloatArray, above = 0.5): AlphaReport {
  const sorted = Float64Array.from(alpha).sort();
  const count = sorted.length;
  let sum = 0;
  let nAbove = 0;
  for (const a of sorted) {
    sum += a;
    if (a > above) nAbove++;
  }
  return {
    count,
    min: count > 0 ? sorted[0]! : Number.NaN,
    q1: quantileSorted(sorted, 0.25),
    median: quantileSorted(sorted, 0.5),
    q3: quantileSorted(sorted, 0.75),
    max: count > 0 ? sorted[count - 1]! : Number.NaN,
    mean: count > 0 ? sum / count : Number.NaN,
    shareAbove: count > 0 ? nAbove / count : Number.NaN,
  };
}
