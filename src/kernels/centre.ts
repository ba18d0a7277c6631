import type { FloatArray } from "./arrays.js";

/**
 * Kernels.centre (DESIGN §2): x̃ = x / s, x_c = x̃ − b_dec, n_t = ‖x_c,t‖. The
 * norm sums the unrounded float64 x_c in column order; x̃ and x_c are rounded
 * to the output arrays' precision on store.
 */
export function centre(
  x: FloatArray,
  invScale: number,
  bDec: FloatArray,
  rows: number,
  d: number,
  xs: FloatArray,
  xc: FloatArray,
  norm: Float64Array,
): void {
  for (let t = 0; t < rows; t++) {
    let s = 0;
    for (let c = 0; c < d; c++) {
      const i = t * d + c;
      const v = x[i]! * invScale;
      xs[i] = v;
      const u = v - bDec[c]!;
      xc[i] = u;
      s += u * u;
    }
    norm[t] = Math.sqrt(s);
  }
}
