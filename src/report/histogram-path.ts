/** A histogram as an SVG step outline closed on the baseline. */
import type { Histogram } from "../evaluation/evaluate.js";
import type { Scale } from "./scale.js";
import { round } from "./svg.js";

/** Bin `i`'s edges. */
export function binEdges(h: Histogram, i: number): [number, number] {
  const w = (h.hi - h.lo) / h.counts.length;
  return [h.lo + i * w, h.lo + (i + 1) * w];
}

/** The step outline of `values` (one per bin of `h`), from the baseline y(0) and back to it. */
export function stepPath(h: Histogram, values: readonly number[], x: Scale, y: Scale): string {
  const base = round(y.map(0));
  let d = `M${round(x.map(h.lo))},${base}`;
  values.forEach((v, i) => {
    const [a, b] = binEdges(h, i);
    const py = round(y.map(Number.isFinite(v) ? v : 0));
    d += `L${round(x.map(a))},${py}L${round(x.map(b))},${py}`;
  });
  return `${d}L${round(x.map(h.hi))},${base}Z`;
}

/** Each bin's share of the total count, in percent (zeros when empty). */
export function percentShares(h: Histogram): number[] {
  const total = h.counts.reduce((s, c) => s + c, 0);
  return h.counts.map((c) => (total > 0 ? (100 * c) / total : 0));
}
