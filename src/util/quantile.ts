/** Quantiles of a sample, as the evaluation's α report and the trainer's α log take them. */

/**
 * Quantile `p` of ascending `sorted` by linear interpolation between the two
 * nearest order statistics, position `p·(n−1)` (numpy's default "linear").
 */
export function quantileSorted(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = p * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const frac = pos - lo;
  return sorted[lo]! + frac * (sorted[hi]! - sorted[lo]!);
}

/** Min, first quartile, median, third quartile and max of `values` (all NaN when empty). */
export function fiveNumberSummary(values: ArrayLike<number>): [number, number, number, number, number] {
  const sorted = Float64Array.from(values).sort();
  return [0, 0.25, 0.5, 0.75, 1].map((p) => quantileSorted(sorted, p)) as [
    number,
    number,
    number,
    number,
    number,
  ];
}
