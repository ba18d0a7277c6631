/**
 * The index of the first NaN or ±Infinity in `values` (within [from, to)), or
 * -1 when all are finite: one cheap pass, for checks of weights and activations.
 */
export function firstNonFiniteIndex(values: ArrayLike<number>, from = 0, to = values.length): number {
  for (let i = from; i < to; i++) {
    // v - v is 0 for every finite v and NaN for NaN and ±Infinity.
    const v = values[i]!;
    if (v - v !== 0) return i;
  }
  return -1;
}
