/** A line chart of a metric against the step, drawn as SVG the way the feature browser draws its charts. */
import { axes, chartFrame, linear } from "../client/chart-axes.js";
import { s } from "../client/dom.js";

/** Points drawn at most: a long run is thinned to every n-th logged step (and the last). */
const maxPoints = 400;

export function lineChart(
  steps: readonly number[],
  values: readonly number[],
  labels: { x: string; y: string; title: string },
): SVGSVGElement {
  const frame = chartFrame;
  const { width, height, left, right, top, bottom } = frame;
  const stride = Math.max(1, Math.ceil(steps.length / maxPoints));
  const kept: number[] = [];
  for (let i = 0; i < steps.length; i += stride) kept.push(i);
  if (steps.length > 0 && kept[kept.length - 1] !== steps.length - 1) kept.push(steps.length - 1);
  const finite = kept.filter((i) => Number.isFinite(values[i]!));
  const ys = finite.map((i) => values[i]!);
  const x = { lo: 0, hi: Math.max(1, steps[steps.length - 1] ?? 1), label: labels.x };
  const y = { lo: Math.min(0, ...ys), hi: ys.length > 0 ? Math.max(...ys) : 1, label: labels.y };
  const px = linear(x.lo, x.hi, left, width - right);
  const py = linear(y.lo, y.hi, height - bottom, top);
  const path = finite.map(
    (i, n) => `${n === 0 ? "M" : "L"}${px(steps[i]!).toFixed(1)} ${py(values[i]!).toFixed(1)}`,
  );
  return s(
    "svg",
    { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": labels.title },
    s("title", {}, labels.title),
    axes(frame, x, y),
    s("path", { class: "line", d: path.join(" ") }),
  );
}
