import type { FloatArray, SparseRows } from "./arrays.js";

/** out[t] += Σ value · W[index] — a row gather; O(nnz · d). */
export function sparseDecode(codes: SparseRows, w: FloatArray, d: number, out: FloatArray): void {
  const { rows, rowStart, index, value } = codes;
  for (let t = 0; t < rows; t++) {
    const o = t * d;
    for (let i = rowStart[t]!; i < rowStart[t + 1]!; i++) {
      const v = value[i]!;
      const r = index[i]! * d;
      for (let c = 0; c < d; c++) out[o + c]! += v * w[r + c]!;
    }
  }
}

/** out[index] += value · X[t] — a row scatter; O(nnz · d). */
export function sparseAccumulate(codes: SparseRows, x: FloatArray, d: number, out: FloatArray): void {
  const { rows, rowStart, index, value } = codes;
  for (let t = 0; t < rows; t++) {
    const xr = t * d;
    for (let i = rowStart[t]!; i < rowStart[t + 1]!; i++) {
      const v = value[i]!;
      const o = index[i]! * d;
      for (let c = 0; c < d; c++) out[o + c]! += v * x[xr + c]!;
    }
  }
}

/** out_i = X[t] · W[index_i] for each entry of row t, summed in float64; O(nnz · d). */
export function sparseRowDot(
  codes: SparseRows,
  x: FloatArray,
  w: FloatArray,
  d: number,
  out: Float64Array,
): void {
  const { rows, rowStart, index } = codes;
  for (let t = 0; t < rows; t++) {
    const xr = t * d;
    for (let i = rowStart[t]!; i < rowStart[t + 1]!; i++) {
      const r = index[i]! * d;
      let s = 0;
      for (let c = 0; c < d; c++) s += x[xr + c]! * w[r + c]!;
      out[i] = s;
    }
  }
}

/** ‖W[j]‖ of each row, in float64. */
export function rowNorms(w: FloatArray, m: number, d: number): Float64Array {
  const out = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += w[j * d + c]! ** 2;
    out[j] = Math.sqrt(s);
  }
  return out;
}
