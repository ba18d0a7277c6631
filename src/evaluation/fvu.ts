import type { FloatArray } from "../kernels/arrays.js";

/**
 * Fraction of variance unexplained, `Σ‖x − x̂‖² / Σ‖x − x̄‖²`, with both sums over
 * all tokens and all dimensions and `x̄` the per-dimension mean over tokens.
 *
 * This is deliberately not an average of per-token or per-dimension ratios (a
 * known error elsewhere): those weight a low-variance token or dimension as much
 * as a high-variance one. `x` and `xhat` are [rows, d] row-major, in the same
 * units (pass the reconstruction already multiplied by the scale `s`).
 *
 * The mean is computed first and the variance summed around it (two passes), so
 * a large common offset cannot cancel catastrophically as in `Σx² − N x̄²`.
 * Returns NaN when the data have no variance at all.
 */
export function fractionOfVarianceUnexplained(
  x: FloatArray,
  xhat: FloatArray,
  rows: number,
  d: number,
): number {
  const size = rows * d;
  if (x.length < size || xhat.length < size) {
    throw new RangeError(`fvu: need ${rows}×${d} values, got x ${x.length}, xhat ${xhat.length}`);
  }
  if (rows === 0) return Number.NaN;

  const mean = new Float64Array(d);
  for (let t = 0; t < rows; t++) {
    const o = t * d;
    for (let i = 0; i < d; i++) mean[i]! += x[o + i]!;
  }
  for (let i = 0; i < d; i++) mean[i]! /= rows;

  let residual = 0;
  let total = 0;
  for (let t = 0; t < rows; t++) {
    const o = t * d;
    for (let i = 0; i < d; i++) {
      const xi = x[o + i]!;
      const e = xi - xhat[o + i]!;
      const c = xi - mean[i]!;
      residual += e * e;
      total += c * c;
    }
  }
  return total > 0 ? residual / total : Number.NaN;
}
