import { s } from "./dom.js";
import { figure } from "./format.js";

/** An SVG chart's size and margins (user units; the SVG scales to its box). */
export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const chartFrame: Frame = { width: 360, height: 170, left: 46, right: 10, top: 8, bottom: 34 };

/** A linear map from [lo, hi] to [a, b]; a degenerate domain maps to the middle. */
export function linear(lo: number, hi: number, a: number, b: number): (v: number) => number {
  const span = hi - lo;
  return span > 0 ? (v) => a + ((v - lo) / span) * (b - a) : () => (a + b) / 2;
}

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 × 10^n, about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * power).find((st) => st >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

export interface Axis {
  lo: number;
  hi: number;
  label: string;
}

/** Both axes with ticks, tick labels and titles, for data drawn inside `frame`. */
export function axes(frame: Frame, x: Axis, y: Axis): SVGGElement {
  const { width, height, left, right, top, bottom } = frame;
  const px = linear(x.lo, x.hi, left, width - right);
  const py = linear(y.lo, y.hi, height - bottom, top);
  const g = s("g", { class: "axes" });
  const baseY = height - bottom;
  g.append(
    s("line", { x1: left, y1: baseY, x2: width - right, y2: baseY, class: "axis" }),
    s("line", { x1: left, y1: top, x2: left, y2: baseY, class: "axis" }),
  );
  for (const t of niceTicks(x.lo, x.hi)) {
    const at = px(t);
    g.append(
      s("line", { x1: at, y1: baseY, x2: at, y2: baseY + 4, class: "tick" }),
      s("text", { x: at, y: baseY + 14, "text-anchor": "middle", class: "tick-label" }, figure(t)),
    );
  }
  for (const t of niceTicks(y.lo, y.hi, 4)) {
    const at = py(t);
    g.append(
      s("line", { x1: left - 4, y1: at, x2: left, y2: at, class: "tick" }),
      s("text", { x: left - 6, y: at + 3, "text-anchor": "end", class: "tick-label" }, figure(t)),
    );
  }
  g.append(
    s(
      "text",
      { x: (left + width - right) / 2, y: height - 4, "text-anchor": "middle", class: "axis-label" },
      x.label,
    ),
    s(
      "text",
      {
        x: 0,
        y: 0,
        transform: `translate(11 ${(top + baseY) / 2}) rotate(-90)`,
        "text-anchor": "middle",
        class: "axis-label",
      },
      y.label,
    ),
  );
  return g;
}
