import type { FloatArray } from "./arrays.js";

/**
 * The O(B·d) passes of the loss (DESIGN §3), reference versions: in place
 * `estimate` becomes e = target − estimate, upstream = coef · ω_t · e, and
 * tokenSse[t] = Σ_c e² in float64.
 */
export function residualUpstream(
  target: FloatArray,
  estimate: FloatArray,
  weight: Float64Array,
  rows: number,
  d: number,
  coef: number,
  upstream: FloatArray,
  tokenSse: Float64Array,
): void {
  for (let t = 0; t < rows; t++) {
    const scale = coef * weight[t]!;
    let s = 0;
    for (let c = t * d; c < (t + 1) * d; c++) {
      estimate[c] = target[c]! - estimate[c]!;
      const e = estimate[c]!;
      s += e * e;
      upstream[c] = scale * e;
    }
    tokenSse[t] = s;
  }
}

/** Σ‖v_t − v̄‖² over rows, in float64. */
export function centredSumOfSquares(v: FloatArray, rows: number, d: number): number {
  const mean = new Float64Array(d);
  for (let t = 0; t < rows; t++) for (let c = 0; c < d; c++) mean[c]! += v[t * d + c]!;
  for (let c = 0; c < d; c++) mean[c]! /= rows;
  let s = 0;
  for (let t = 0; t < rows; t++) for (let c = 0; c < d; c++) s += (v[t * d + c]! - mean[c]!) ** 2;
  return s;
}
