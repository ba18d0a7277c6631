/** The plot area of a chart: light grid, axes, ticks and axis titles. */
import { fixed, tickLabel } from "../util/number-format.js";
import type { Scale } from "./scale.js";
import { line, text, textWidth } from "./svg.js";

/** A plot area in SVG pixels. */
export interface Area {
  left: number;
  top: number;
  width: number;
  height: number;
}

export const xRange = (a: Area): [number, number] => [a.left, a.left + a.width];
export const yRange = (a: Area): [number, number] => [a.top + a.height, a.top];

export interface FrameOptions {
  xLabel?: string;
  yLabel?: string;
  xTickLabel?: (v: number) => string;
  yTickLabel?: (v: number) => string;
  /** vertical grid lines at the x ticks (default true) */
  xGrid?: boolean;
  fontSize?: number;
}

const GRID = "#e9e9ec";
const AXIS = "#8a8a90";
const TICK_TEXT = "#55555c";

/** Grid, axis lines, ticks and titles for `x` and `y` over `area`. */
export function frame(area: Area, x: Scale, y: Scale, options: FrameOptions = {}): string {
  const size = options.fontSize ?? 11;
  const xt = options.xTickLabel ?? axisTickLabel(x);
  const yt = options.yTickLabel ?? axisTickLabel(y);
  const bottom = area.top + area.height;
  const right = area.left + area.width;
  const parts: string[] = [];
  for (const v of y.ticks) {
    const py = y.map(v);
    parts.push(line(area.left, py, right, py, { stroke: GRID }));
    parts.push(line(area.left - 4, py, area.left, py, { stroke: AXIS }));
    parts.push(
      text(area.left - 7, py + size * 0.35, yt(v), {
        "text-anchor": "end",
        "font-size": size,
        fill: TICK_TEXT,
      }),
    );
  }
  for (const v of x.ticks) {
    const px = x.map(v);
    if (options.xGrid !== false) parts.push(line(px, area.top, px, bottom, { stroke: GRID }));
    parts.push(line(px, bottom, px, bottom + 4, { stroke: AXIS }));
    parts.push(
      text(px, bottom + 5 + size, xt(v), { "text-anchor": "middle", "font-size": size, fill: TICK_TEXT }),
    );
  }
  parts.push(line(area.left, bottom, right, bottom, { stroke: AXIS }));
  parts.push(line(area.left, area.top, area.left, bottom, { stroke: AXIS }));
  if (options.xLabel) {
    parts.push(
      text(area.left + area.width / 2, bottom + 12 + 2 * size, options.xLabel, {
        "text-anchor": "middle",
        "font-size": size + 1,
        fill: "#222",
      }),
    );
  }
  if (options.yLabel) {
    const widest = Math.max(0, ...y.ticks.map((v) => textWidth(yt(v), size)));
    const lx = area.left - widest - 14;
    const ly = area.top + area.height / 2;
    parts.push(
      text(lx, ly, options.yLabel, {
        "text-anchor": "middle",
        "font-size": size + 1,
        fill: "#222",
        transform: `rotate(-90 ${Math.round(lx)} ${Math.round(ly)})`,
      }),
    );
  }
  return parts.join("");
}

/** Tick labels of a linear axis share one number of decimals (0.20, 0.25, 0.30); log ticks stand alone. */
export function axisTickLabel(scale: Scale): (v: number) => string {
  if (scale.log) return tickLabel;
  const digits = Math.max(0, ...scale.ticks.map((v) => tickLabel(v).split(".")[1]?.length ?? 0));
  return (v) => fixed(v, digits);
}

/** Left margin that fits the y tick labels and the rotated y title. */
export function leftMargin(
  y: Scale,
  yTickLabel: (v: number) => string = axisTickLabel(y),
  size = 11,
): number {
  return Math.ceil(Math.max(0, ...y.ticks.map((v) => textWidth(yTickLabel(v), size))) + 14 + size + 10);
}
