/**
 * The array types every layer shares. Parameters and activations are float32 in
 * training; the same code runs on float64 so gradients can be checked against
 * finite differences without rounding noise.
 */
export type FloatArray = Float32Array | Float64Array;
export type FloatArrayConstructor = Float32ArrayConstructor | Float64ArrayConstructor;

/** The constructor of `a`, so derived buffers keep the caller's precision. */
export function floatCtor(a: FloatArray): FloatArrayConstructor {
  return a instanceof Float64Array ? Float64Array : Float32Array;
}

/**
 * Sparse rows in compressed-row form: row t holds `index[i]`, `value[i]` for
 * `rowStart[t] <= i < rowStart[t + 1]`. Used for the active latents of each
 * token (codes), and for anything else that is "a few columns per row".
 */
export interface SparseRows {
  readonly rows: number;
  readonly rowStart: Int32Array;
  readonly index: Int32Array;
  readonly value: FloatArray;
}

/** Number of stored entries. */
export function nnz(s: SparseRows): number {
  return s.rowStart[s.rows]!;
}

/**
 * Codes transposed to latent order (compressed columns): latent j's entries are
 * start[j] ≤ e < start[j + 1], in token order; `entry[e]` is the entry's
 * position in the row-ordered codes and `token[e]` its row. Backward passes in
 * this order read each W row once and write each gradient row once.
 */
export interface LatentOrder {
  readonly m: number;
  readonly start: Int32Array;
  readonly entry: Int32Array;
  readonly token: Int32Array;
}
