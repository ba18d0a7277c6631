/** Maps from data to pixels, with the ticks that label them. */
import { logTicks, niceTicks } from "./nice-ticks.js";

export interface Scale {
  /** domain: the data interval shown (widened to the outer ticks) */
  readonly lo: number;
  readonly hi: number;
  /** pixel positions of lo and hi (reversed for a y axis) */
  readonly range: readonly [number, number];
  readonly ticks: readonly number[];
  readonly log: boolean;
  map(v: number): number;
}

/** A linear scale with explicit ticks over [lo, hi]. */
export function fixedScale(
  lo: number,
  hi: number,
  range: readonly [number, number],
  ticks: readonly number[],
): Scale {
  const [a, b] = range;
  const span = hi - lo || 1;
  return { lo, hi, range, ticks, log: false, map: (v) => a + ((v - lo) / span) * (b - a) };
}

/** A linear scale whose domain is widened to nice ticks covering [lo, hi]. */
export function linearScale(lo: number, hi: number, range: readonly [number, number], count = 5): Scale {
  const ticks = niceTicks(lo, hi, count);
  return fixedScale(ticks[0]!, ticks[ticks.length - 1]!, range, ticks);
}

/** A log₁₀ scale over the log ticks covering [lo, hi] (both > 0); non-positive values map to NaN. */
export function logScale(lo: number, hi: number, range: readonly [number, number]): Scale {
  const ticks = logTicks(lo, hi);
  const l0 = Math.log10(ticks[0]!);
  const span = Math.log10(ticks[ticks.length - 1]!) - l0 || 1;
  const [a, b] = range;
  return {
    lo: ticks[0]!,
    hi: ticks[ticks.length - 1]!,
    range,
    ticks,
    log: true,
    map: (v) => (v > 0 ? a + ((Math.log10(v) - l0) / span) * (b - a) : Number.NaN),
  };
}

export interface DataScaleOptions {
  /** use a log scale when all values are positive and max/min exceeds this */
  logAbove?: number;
  /** values the domain must also hold (a target line, zero) */
  include?: readonly number[];
  count?: number;
}

/** A scale fitted to the finite values (log when they span a wide enough ratio). */
export function dataScale(
  values: readonly number[],
  range: readonly [number, number],
  options: DataScaleOptions = {},
): Scale {
  const finite = [...values, ...(options.include ?? [])].filter(Number.isFinite);
  if (finite.length === 0) return linearScale(0, 1, range, options.count);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  if (options.logAbove !== undefined && lo > 0 && hi / lo > options.logAbove) return logScale(lo, hi, range);
  return linearScale(lo, hi, range, options.count);
}
