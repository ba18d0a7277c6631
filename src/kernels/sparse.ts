import type { FloatArray, LatentOrder, SparseRows } from "./arrays.js";
import type { LatentBackwardArgs } from "./kernels.js";

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

/** The codes in latent order (a stable counting sort by latent id). */
export function transposeCodes(codes: SparseRows, m: number): LatentOrder {
  const { rows, rowStart, index } = codes;
  const count = rowStart[rows]!;
  const start = new Int32Array(m + 1);
  for (let i = 0; i < count; i++) start[index[i]! + 1]!++;
  for (let j = 0; j < m; j++) start[j + 1]! += start[j]!;
  const fill = start.slice(0, m);
  const entry = new Int32Array(count);
  const token = new Int32Array(count);
  for (let t = 0; t < rows; t++) {
    for (let i = rowStart[t]!; i < rowStart[t + 1]!; i++) {
      const at = fill[index[i]!]!++;
      entry[at] = i;
      token[at] = t;
    }
  }
  return { m, start, entry, token };
}

/** Kernels.latentBackward: per latent j, u and a per entry, then the two gradient-row scatters. */
export function latentBackward(o: LatentOrder, b: LatentBackwardArgs, d: number, overwrite: boolean): void {
  const { upstream, decoder, decoderCoef, xc, encoder, encoderScale, gradDecoder, gradEncoder } = b;
  const round = gradEncoder instanceof Float32Array ? Math.fround : (v: number) => v;
  if (overwrite) {
    gradDecoder.fill(0, 0, o.m * d);
    gradEncoder.fill(0, 0, o.m * d);
  }
  for (let j = 0; j < o.m; j++) {
    const r = j * d;
    for (let e = o.start[j]!; e < o.start[j + 1]!; e++) {
      const i = o.entry[e]!;
      const xr = o.token[e]! * d;
      let u = 0;
      let a = 0;
      for (let c = 0; c < d; c++) u += upstream[xr + c]! * decoder[r + c]!;
      for (let c = 0; c < d; c++) a += xc[xr + c]! * encoder[r + c]!;
      const dc = decoderCoef[i]!;
      const ec = round(u * encoderScale[i]!);
      for (let c = 0; c < d; c++) gradDecoder[r + c]! += dc * upstream[xr + c]!;
      for (let c = 0; c < d; c++) gradEncoder[r + c]! += ec * xc[xr + c]!;
      b.upstreamDot[i] = u;
      b.encoderDot[i] = a;
    }
  }
}

/** out[c] += Σ_i coef_i · X[i, c] over rows with coef_i ≠ 0, in float64. */
export function weightedRowSum(
  x: FloatArray,
  coef: Float64Array,
  rows: number,
  d: number,
  out: Float64Array,
): void {
  for (let i = 0; i < rows; i++) {
    const v = coef[i]!;
    if (v === 0) continue;
    for (let c = 0; c < d; c++) out[c]! += v * x[i * d + c]!;
  }
}
