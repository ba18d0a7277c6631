import type { AdamMoments } from "./adam.js";
import type { FloatArray, LatentOrder, SparseRows } from "./arrays.js";
import type { EntrySums, EntryTerms } from "./entry-terms.js";
import type { ScoreSpec } from "./score-transform.js";

/**
 * The compute an SAE step needs, behind one small interface so a faster
 * implementation can replace one piece without touching the model. Only
 * `denseScores` is O(B·m·d); the score transform and selection are O(B·m),
 * everything else O(B·k·d) or one pass over the parameters.
 *
 * Matrices are row-major. Encoder and decoder are both stored as rows [m, d]
 * (one row per latent), so the score matrix is X·Wᵀ.
 *
 * Every implementation must give the reference results (reference.ts) up to
 * float32 rounding, deterministically: no result may depend on thread timing.
 */
/** The arrays of Kernels.latentBackward: G, W_dec, z q, x_c, W_enc, h in; gradients and dots out. */
export interface LatentBackwardArgs {
  upstream: FloatArray;
  decoder: FloatArray;
  decoderCoef: FloatArray;
  xc: FloatArray;
  encoder: FloatArray;
  encoderScale: Float64Array;
  gradDecoder: FloatArray;
  gradEncoder: FloatArray;
  upstreamDot: Float64Array;
  encoderDot: Float64Array;
}

export interface Kernels {
  readonly name: string;
  /** Returns A[rows, m] = X[rows, d] · Wᵀ for W[m, d]. May reuse its output buffer between calls. */
  denseScores(x: FloatArray, w: FloatArray, rows: number, d: number, m: number): Promise<FloatArray>;
  /** In place: the raw products a = x_c · w_j in A[rows, m] become the pre-activations p (DESIGN §2). */
  applyScore(a: FloatArray, rows: number, m: number, spec: ScoreSpec): void;
  /** applyScore, then selectBatchTopK of `count` — fused into one pass over A where the kernels can. */
  applyScoreSelectBatchTopK(
    a: FloatArray,
    rows: number,
    m: number,
    spec: ScoreSpec,
    count: number,
  ): SparseRows;
  /** out[t, :] += Σ_i value_i · W[index_i, :] over the entries of row t (decode, and gradients into x). */
  sparseDecode(codes: SparseRows, w: FloatArray, d: number, out: FloatArray): void;
  /** out[index_i, :] += value_i · X[t, :] over the entries of row t (gradients into W). */
  sparseAccumulate(codes: SparseRows, x: FloatArray, d: number, out: FloatArray): void;
  /** The codes (latent ids < m) in latent order. */
  transposeCodes(codes: SparseRows, m: number): LatentOrder;
  /**
   * The fused backward pass over each latent j's entries i = (t, j), reading G_t and
   * x_c,t once each: u_i = G_t · d_j and a_i = x_c,t · w_j (float64, into
   * `upstreamDot` and `encoderDot`), ∂d_j += decoderCoef_i G_t and
   * ∂w_j += float(u_i · encoderScale_i) x_c,t. With `overwrite` every gradient row
   * j < m is written instead of added to (rows without entries become 0).
   */
  latentBackward(order: LatentOrder, args: LatentBackwardArgs, d: number, overwrite: boolean): void;
  /** Per entry: decoderCoef_i = z q and encoderScale_i = h (entry-terms.ts), before latentBackward. */
  entryCoefficients(
    codes: SparseRows,
    terms: EntryTerms,
    decoderCoef: FloatArray,
    encoderScale: Float64Array,
  ): void;
  /** Adds each entry's terms of ∂b_enc, ∂γ, ∂α, ∂‖w_j‖, ∂n_t and C_j into `sums`, in row order (entry-terms.ts). */
  entryReductions(
    codes: SparseRows,
    terms: EntryTerms,
    upstreamDot: Float64Array,
    encoderDot: Float64Array,
    encoderScale: Float64Array,
    sums: EntrySums,
  ): void;
  /** In place e = target − estimate; upstream = coef · weight_t · e; tokenSse[t] = Σ e² (float64). */
  residualUpstream(
    target: FloatArray,
    estimate: FloatArray,
    weight: Float64Array,
    rows: number,
    d: number,
    coef: number,
    upstream: FloatArray,
    tokenSse: Float64Array,
  ): void;
  /** Σ_t ‖V_t − V̄‖² over the rows of V[rows, d], in float64. */
  centredSumOfSquares(v: FloatArray, rows: number, d: number): number;
  /** out[c] += Σ_i coef_i · X[i, c] over rows i with coef_i ≠ 0, in float64. */
  weightedRowSum(x: FloatArray, coef: Float64Array, rows: number, d: number, out: Float64Array): void;
  /** The `count` largest positive entries of P[rows, m] over the whole batch (exactly `count` if that many are positive). */
  selectBatchTopK(p: FloatArray, rows: number, m: number, count: number): SparseRows;
  /** The `k` largest positive entries of each row of P[rows, m]. */
  selectTopK(p: FloatArray, rows: number, m: number, k: number): SparseRows;
  /** The `k` largest positive entries of each row among the given columns (ascending); indices are columns of P. */
  selectTopKAmong(p: FloatArray, rows: number, m: number, columns: Int32Array, k: number): SparseRows;
  /** Entries of each row with P > threshold[j] (JumpReLU inference). */
  selectAboveThreshold(p: FloatArray, rows: number, m: number, threshold: FloatArray): SparseRows;
  /** ‖w_j‖ of each row of W[m, d], in float64. */
  rowNorms(w: FloatArray, m: number, d: number): Float64Array;
  /** One Adam update of `param` with `grad` at 1-based step `t` (src/kernels/adam.ts). */
  adamUpdate(param: FloatArray, grad: FloatArray, moments: AdamMoments, t: number, lr: number): void;
  /**
   * projectToTangent, adamUpdate and normaliseRows of the decoder rows in one pass
   * per row, with the same arithmetic per element (so the same parameters); `grad`
   * may be left unprojected.
   */
  adamUpdateOnSphere(
    decoder: FloatArray,
    grad: FloatArray,
    moments: AdamMoments,
    t: number,
    lr: number,
    d: number,
  ): void;
  /** adamUpdate of W[m, d], then rowNorms of the updated rows (the same bits as the two calls). */
  adamUpdateRowNorms(
    param: FloatArray,
    grad: FloatArray,
    moments: AdamMoments,
    t: number,
    lr: number,
    d: number,
  ): Float64Array;
  /** x̃ = x · invScale, x_c = x̃ − b_dec into xs, xc [rows, d], and n_t = ‖x_c,t‖ (DESIGN §2). */
  centre(
    x: FloatArray,
    invScale: number,
    bDec: FloatArray,
    rows: number,
    d: number,
    xs: FloatArray,
    xc: FloatArray,
    norm: Float64Array,
  ): void;
  /** Removes from each gradient row its component along the (unit) decoder row. */
  projectToTangent(decoder: FloatArray, grad: FloatArray, d: number): void;
  /** Rescales each decoder row to unit norm. */
  normaliseRows(decoder: FloatArray, d: number): void;
  dispose(): Promise<void>;
}
