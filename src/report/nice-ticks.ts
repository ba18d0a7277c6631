/** Round axis ticks: 1, 2 or 5 × 10ⁿ steps (linear), decades or 1-2-5 (log). */

const E10 = Math.sqrt(50);
const E5 = Math.sqrt(10);
const E2 = Math.SQRT2;

/** A step of 1, 2 or 5 × 10ⁿ giving about `count` intervals over `span` (thresholds as in d3). */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f >= E10 ? 10 : f >= E5 ? 5 : f >= E2 ? 2 : 1) * power;
}

/**
 * Ticks at multiples of a nice step, from the one at or below `lo` to the one at
 * or above `hi`, so that they cover the data: [0.13, 0.87] → 0, 0.2, …, 1.
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (lo > hi) [lo, hi] = [hi, lo];
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) / 10;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, count);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  // Rounding i·step to the step's decimals removes 0.30000000000000004.
  const digits = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toFixed(digits)) || 0);
  return ticks;
}

/**
 * Log-axis ticks covering [lo, hi] (both > 0): 1-2-5 steps when that makes at
 * most eight ticks, else powers of ten (every other one past six decades).
 */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0 && hi > 0 && Number.isFinite(lo) && Number.isFinite(hi))) return [1, 10];
  if (lo > hi) [lo, hi] = [hi, lo];
  const a = Math.floor(Math.log10(lo) + 1e-9);
  const b = Math.ceil(Math.log10(hi) - 1e-9);
  const at = (m: number, e: number) => Number((m * 10 ** e).toPrecision(12));
  const candidates: number[] = [];
  for (let e = a; e <= b; e++) for (const m of [1, 2, 5]) candidates.push(at(m, e));
  candidates.push(at(1, b + 1));
  let start = 0;
  while (start + 1 < candidates.length && candidates[start + 1]! <= lo * (1 + 1e-9)) start++;
  let end = start;
  while (end + 1 < candidates.length && candidates[end]! < hi * (1 - 1e-9)) end++;
  if (end === start) end++;
  if (end - start < 8) return candidates.slice(start, end + 1);
  const every = Math.ceil((b - a) / 6);
  const ticks: number[] = [];
  for (let e = a; ticks.length === 0 || ticks[ticks.length - 1]! < hi; e += every) ticks.push(at(1, e));
  return ticks;
}
