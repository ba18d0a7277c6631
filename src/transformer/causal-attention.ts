/**
 * Causal multi-head attention with grouped key/value heads over packed
 * sequences: each token attends to itself and the earlier tokens of its own
 * sequence only.
 */
export interface AttentionShape {
  readonly heads: number;
  readonly kvHeads: number;
  readonly headSize: number;
}

/**
 * `qkv` is [rows, (heads + 2·kvHeads)·headSize]: per row the queries, then keys,
 * then values (RoPE already applied to queries and keys). Returns the heads'
 * outputs concatenated, [rows, heads·headSize], ready for W_O.
 */
export function causalAttention(
  qkv: Float32Array,
  sequenceLengths: readonly number[],
  shape: AttentionShape,
): Float32Array {
  const { heads, kvHeads, headSize } = shape;
  const dim = heads * headSize;
  const kvDim = kvHeads * headSize;
  const stride = dim + 2 * kvDim;
  const group = heads / kvHeads;
  const scale = 1 / Math.sqrt(headSize);
  let rows = 0;
  let longest = 0;
  for (const n of sequenceLengths) {
    rows += n;
    longest = Math.max(longest, n);
  }
  const out = new Float32Array(rows * dim);
  // One sequence's keys and values of one kv head, contiguous [n, headSize], so the inner loops stride by 1.
  const keys = new Float64Array(longest * headSize);
  const values = new Float64Array(longest * headSize);
  const weights = new Float64Array(longest);
  const query = new Float64Array(headSize);
  const acc = new Float64Array(headSize);
  let start = 0;
  for (const n of sequenceLengths) {
    for (let kvh = 0; kvh < kvHeads; kvh++) {
      const kOffset = dim + kvh * headSize;
      const vOffset = kOffset + kvDim;
      for (let s = 0; s < n; s++) {
        const row = (start + s) * stride;
        for (let i = 0; i < headSize; i++) {
          keys[s * headSize + i] = qkv[row + kOffset + i]!;
          values[s * headSize + i] = qkv[row + vOffset + i]!;
        }
      }
      for (let h = kvh * group; h < (kvh + 1) * group; h++) {
        for (let t = 0; t < n; t++) {
          const q = (start + t) * stride + h * headSize;
          for (let i = 0; i < headSize; i++) query[i] = qkv[q + i]! * scale;
          let max = Number.NEGATIVE_INFINITY;
          for (let s = 0, k = 0; s <= t; s++) {
            let dot = 0;
            for (let i = 0; i < headSize; i++, k++) dot += query[i]! * keys[k]!;
            weights[s] = dot;
            if (dot > max) max = dot;
          }
          let sum = 0;
          for (let s = 0; s <= t; s++) {
            const e = Math.exp(weights[s]! - max);
            weights[s] = e;
            sum += e;
          }
          acc.fill(0);
          for (let s = 0, v = 0; s <= t; s++) {
            const w = weights[s]!;
            for (let i = 0; i < headSize; i++, v++) acc[i] += w * values[v]!;
          }
          const o = (start + t) * dim + h * headSize;
          const inv = 1 / sum;
          for (let i = 0; i < headSize; i++) out[o + i] = acc[i]! * inv;
        }
      }
    }
    start += n;
  }
  return out;
}
