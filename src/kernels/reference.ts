import { adamUpdate } from "./adam.js";
import { type FloatArray, floatCtor } from "./arrays.js";
import { centre } from "./centre.js";
import { adamUpdateOnSphere, normaliseRows, projectToTangent } from "./decoder-constraint.js";
import { entryCoefficients, entryReductions } from "./entry-terms.js";
import type { Kernels } from "./kernels.js";
import { centredSumOfSquares, residualUpstream } from "./residual.js";
import { applyScore } from "./score-transform.js";
import { selectAboveThreshold, selectBatchTopK, selectTopK, selectTopKAmong } from "./select.js";
import {
  latentBackward,
  rowNorms,
  sparseAccumulate,
  sparseDecode,
  transposeCodes,
  weightedRowSum,
} from "./sparse.js";

/**
 * Plain TypeScript kernels in the caller's precision. The dense product here is
 * a scalar triple loop: it is the float64 reference the gradient checks run on,
 * never the training hot path (see native.ts and onnxruntime.ts).
 */
export function referenceDenseScores(
  x: FloatArray,
  w: FloatArray,
  rows: number,
  d: number,
  m: number,
): FloatArray {
  const out = new (floatCtor(x))(rows * m);
  for (let t = 0; t < rows; t++) {
    const xr = t * d;
    for (let j = 0; j < m; j++) {
      const wr = j * d;
      let s = 0;
      for (let c = 0; c < d; c++) s += x[xr + c]! * w[wr + c]!;
      out[t * m + j] = s;
    }
  }
  return out;
}

export const referenceKernels: Kernels = {
  name: "reference",
  denseScores: async (x, w, rows, d, m) => referenceDenseScores(x, w, rows, d, m),
  applyScore,
  applyScoreSelectBatchTopK(a, rows, m, spec, count) {
    applyScore(a, rows, m, spec);
    return selectBatchTopK(a, rows, m, count);
  },
  sparseDecode,
  sparseAccumulate,
  transposeCodes,
  latentBackward,
  entryCoefficients,
  entryReductions,
  weightedRowSum,
  residualUpstream,
  centredSumOfSquares,
  selectBatchTopK,
  selectTopK,
  selectTopKAmong,
  selectAboveThreshold,
  rowNorms,
  adamUpdate,
  adamUpdateOnSphere,
  adamUpdateRowNorms(param, grad, moments, t, lr, d) {
    adamUpdate(param, grad, moments, t, lr);
    return rowNorms(param, param.length / d, d);
  },
  centre,
  projectToTangent,
  normaliseRows,
  dispose: async () => {},
};
