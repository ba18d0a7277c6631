/**
 * What a latent writes, read through the model's output: the logits of its
 * decoder direction in raw units, W_U (g ⊙ s·d_j), with g the final norm's
 * gain (the model's `unembedDirections`: LayerNorm centres the row first,
 * Gemma's gain is 1 + g, and a final soft-cap applies) and W_U the
 * unembedding. (The norm's 1/rms only rescales the row, so the order of tokens
 * is the same as for the residual that holds s·d_j.)
 * Only meaningful for a residual-stream hook; the caller checks that.
 *
 * Computed a block of latents at a time with the kernels' dense product, so
 * 16k latents × 50k tokens never hold more than one block's logits.
 */
import type { FloatArray } from "../kernels/arrays.js";
import type { Kernels } from "../kernels/kernels.js";

/** Latent j's `count` highest and lowest logits at j·count…, best first (ties: lower token id first). */
export interface DecoderLogits {
  count: number;
  promoted: Int32Array;
  promotedLogit: Float64Array;
  suppressed: Int32Array;
  suppressedLogit: Float64Array;
}

export interface Unembedding {
  vocab: number;
  /** The logits [rows, vocab] of directions [rows, d] (read before the kernels' next call). */
  logits(directions: Float32Array, rows: number, kernels: Kernels): Promise<Float32Array>;
}

/** Logits held per block: ~64 MB of float32. */
const BLOCK_LOGITS = 1 << 24;

export async function decoderLogits(
  decoder: FloatArray,
  m: number,
  d: number,
  scale: number,
  unembedding: Unembedding,
  count: number,
  kernels: Kernels,
  onBlock?: (latentsDone: number, m: number) => void,
): Promise<DecoderLogits> {
  const { vocab } = unembedding;
  count = Math.min(count, vocab);
  const out: DecoderLogits = {
    count,
    promoted: new Int32Array(m * count),
    promotedLogit: new Float64Array(m * count),
    suppressed: new Int32Array(m * count),
    suppressedLogit: new Float64Array(m * count),
  };
  const blockRows = Math.max(1, Math.min(m, Math.floor(BLOCK_LOGITS / vocab)));
  const block = new Float32Array(blockRows * d);
  for (let j0 = 0; j0 < m; j0 += blockRows) {
    const rows = Math.min(blockRows, m - j0);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < d; c++) block[r * d + c] = scale * decoder[(j0 + r) * d + c]!;
    }
    const logits = await unembedding.logits(block.subarray(0, rows * d), rows, kernels);
    for (let r = 0; r < rows; r++) {
      const row = logits.subarray(r * vocab, (r + 1) * vocab);
      const at = (j0 + r) * count;
      extremes(row, count, 1, out.promoted, out.promotedLogit, at);
      extremes(row, count, -1, out.suppressed, out.suppressedLogit, at);
    }
    onBlock?.(j0 + rows, m);
  }
  return out;
}

/**
 * The `count` entries of `row` with the largest `sign · value` into ids/values
 * at [at, at + count), best first, ties by lower index. One pass: an entry
 * that does not beat the current last is rejected with one comparison.
 */
export function extremes(
  row: ArrayLike<number>,
  count: number,
  sign: 1 | -1,
  ids: Int32Array,
  values: Float64Array,
  at: number,
): void {
  if (count <= 0) return;
  let size = 0;
  for (let v = 0; v < row.length; v++) {
    const x = sign * row[v]!;
    // Indices come in ascending order, so an equal value never displaces an earlier one.
    if (size === count && !(x > sign * values[at + size - 1]!)) continue;
    let i = size === count ? count - 1 : size++;
    while (i > 0 && x > sign * values[at + i - 1]!) {
      ids[at + i] = ids[at + i - 1]!;
      values[at + i] = values[at + i - 1]!;
      i--;
    }
    ids[at + i] = v;
    values[at + i] = row[v]!;
  }
}
