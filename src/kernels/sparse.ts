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
