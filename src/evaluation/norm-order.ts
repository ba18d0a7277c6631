import type { FloatArray } from "../kernels/arrays.js";

/**
 * Ordering tokens by their norm, shared by the measures that ask "where do the
 * large tokens go". Ties are broken by token index so results are reproducible.
 */

/** Token indices sorted by ascending norm (ties by index). Throws on NaN norms. */
export function orderByNorm(norms: FloatArray): Int32Array {
  for (let t = 0; t < norms.length; t++) {
    if (Number.isNaN(norms[t]!)) throw new RangeError(`norm of token ${t} is NaN`);
  }
  const order = new Int32Array(norms.length);
  for (let t = 0; t < order.length; t++) order[t] = t;
  return order.sort((a, b) => norms[a]! - norms[b]! || a - b);
}

/**
 * 1-based ranks of the norms in ascending order, tied norms sharing the average
 * of the ranks they span (what the Mann–Whitney statistic needs so that a tie
 * between a positive and a negative counts one half).
 */
export function averageRanks(norms: FloatArray): Float64Array {
  const order = orderByNorm(norms);
  const ranks = new Float64Array(norms.length);
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    const v = norms[order[start]!]!;
    while (end < order.length && norms[order[end]!]! === v) end++;
    // Positions start..end-1 hold ranks start+1..end; their average:
    const rank = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) ranks[order[i]!] = rank;
    start = end;
  }
  return ranks;
}
