import type { FloatArray } from "../kernels/arrays.js";

/** How well the decoder recovers known ground-truth directions (synthetic data). */
export interface DecoderMatch {
  /** Per true feature, the largest cosine with any decoder row. */
  bestCosine: Float64Array;
  /** Per true feature, the decoder row reaching it (−1 when there is none). */
  bestLatent: Int32Array;
  /** Mean max cosine similarity: mean of `bestCosine` over true features. */
  mmcs: number;
  /** True features whose best cosine is ≥ threshold. */
  recovered: number;
}

/** Euclidean norm of each of `rows` rows of length d, in float64. */
function rowNorms(a: FloatArray, rows: number, d: number): Float64Array {
  const norms = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const o = r * d;
    for (let i = 0; i < d; i++) s += a[o + i]! * a[o + i]!;
    norms[r] = Math.sqrt(s);
  }
  return norms;
}

/**
 * Best decoder cosine per true feature, MMCS and features recovered at cosine
 * ≥ threshold (default 0.9). Rows on both sides are normalised here, as trained
 * rows drift and true features need not be unit. The cosine is signed: codes
 * are non-negative, so a row pointing against a feature cannot reproduce it.
 * A zero row (either side) has no direction and matches nothing (cosine 0).
 * Plain O(n·m·d) loop over the original arrays, with norms divided out after.
 */
export function decoderMatch(
  decoderRows: FloatArray,
  trueFeatures: FloatArray,
  m: number,
  n: number,
  d: number,
  threshold = 0.9,
): DecoderMatch {
  if (decoderRows.length < m * d || trueFeatures.length < n * d) {
    throw new RangeError(`decoderMatch: need [${m}, ${d}] and [${n}, ${d}] arrays`);
  }
  const decoderNorm = rowNorms(decoderRows, m, d);
  const featureNorm = rowNorms(trueFeatures, n, d);
  const bestCosine = new Float64Array(n);
  const bestLatent = new Int32Array(n).fill(-1);
  let sum = 0;
  let recovered = 0;
  for (let f = 0; f < n; f++) {
    const fo = f * d;
    let best = Number.NEGATIVE_INFINITY;
    let bestJ = -1;
    for (let j = 0; j < m; j++) {
      const jo = j * d;
      let dot = 0;
      for (let i = 0; i < d; i++) dot += trueFeatures[fo + i]! * decoderRows[jo + i]!;
      const denom = featureNorm[f]! * decoderNorm[j]!;
      const cos = denom > 0 ? dot / denom : 0;
      if (cos > best) {
        best = cos;
        bestJ = j;
      }
    }
    if (bestJ < 0) best = Number.NaN;
    bestCosine[f] = best;
    bestLatent[f] = bestJ;
    sum += best;
    if (best >= threshold) recovered++;
  }
  return { bestCosine, bestLatent, mmcs: n > 0 ? sum / n : Number.NaN, recovered };
}
