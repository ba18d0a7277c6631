/**
 * Causal multi-head attention with grouped key/value heads over packed
 * sequences: each token attends to itself and the earlier tokens of its own
 * sequence only (within the sliding window when there is one).
 */
export interface AttentionShape {
  readonly heads: number;
  readonly kvHeads: number;
  readonly headSize: number;
  /** Multiplier of q·k; default 1/√headSize. */
  readonly scale?: number;
  /** Gemma 2: scores → c·tanh(scores/c) before the softmax; 0 or absent for none. */
  readonly softcap?: number;
  /** Sliding window W: token t sees s only when t − s < W (transformers' sliding mask); 0 or absent for none. */
  readonly window?: number;
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
  const scale = shape.scale ?? 1 / Math.sqrt(headSize);
  const softcap = shape.softcap ?? 0;
  const window = shape.window ?? 0;
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
          // Keys [first, t]: all earlier ones, or the last W with a sliding window.
          const first = window > 0 ? Math.max(0, t - window + 1) : 0;
          let max = Number.NEGATIVE_INFINITY;
          for (let s = first, k = first * headSize; s <= t; s++) {
            let dot = 0;
            for (let i = 0; i < headSize; i++, k++) dot += query[i]! * keys[k]!;
            if (softcap > 0) dot = softcap * Math.tanh(dot / softcap);
            weights[s] = dot;
            if (dot > max) max = dot;
          }
          let sum = 0;
          for (let s = first; s <= t; s++) {
            const e = Math.exp(weights[s]! - max);
            weights[s] = e;
            sum += e;
          }
          acc.fill(0);
          for (let s = first, v = first * headSize; s <= t; s++) {
            const w = weights[s]!;
            for (let i = 0; i < headSize; i++, v++) acc[i]! += w * values[v]!;
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
