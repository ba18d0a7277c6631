import type { FloatArray, SparseRows } from "./arrays.js";

/**
 * The compute an SAE step needs, behind one small interface so a faster
 * implementation can replace one piece without touching the model. Only
 * `denseScores` is O(B·m·d); everything else is O(B·k·d) or O(B·m).
 *
 * Matrices are row-major. Encoder and decoder are both stored as rows [m, d]
 * (one row per latent), so the score matrix is X·Wᵀ.
 */
export interface Kernels {
  readonly name: string;
  /** Returns A[rows, m] = X[rows, d] · Wᵀ for W[m, d]. May reuse its output buffer between calls. */
  denseScores(x: FloatArray, w: FloatArray, rows: number, d: number, m: number): Promise<FloatArray>;
  /** out[t, :] += Σ_i value_i · W[index_i, :] over the entries of row t (decode, and gradients into x). */
  sparseDecode(codes: SparseRows, w: FloatArray, d: number, out: FloatArray): void;
  /** out[index_i, :] += value_i · X[t, :] over the entries of row t (gradients into W). */
  sparseAccumulate(codes: SparseRows, x: FloatArray, d: number, out: FloatArray): void;
  /** The `count` largest positive entries of P[rows, m] over the whole batch (exactly `count` if that many are positive). */
  selectBatchTopK(p: FloatArray, rows: number, m: number, count: number): SparseRows;
  /** The `k` largest positive entries of each row of P[rows, m]. */
  selectTopK(p: FloatArray, rows: number, m: number, k: number): SparseRows;
  /** Entries of each row with P > threshold[j] (JumpReLU inference). */
  selectAboveThreshold(p: FloatArray, rows: number, m: number, threshold: FloatArray): SparseRows;
  dispose(): Promise<void>;
}
