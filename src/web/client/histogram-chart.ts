import type { Histogram } from "../../features/latent-record.js";
import { axes, chartFrame, linear } from "./chart-axes.js";
import { s } from "./dom.js";
import { figure } from "./format.js";

/** The latent's nonzero activations as an SVG bar chart (counts per bin). */
export function histogramChart(histogram: Histogram): SVGSVGElement {
  const f = chartFrame;
  const { lo, hi, counts } = histogram;
  const top = Math.max(1, ...counts);
  const svg = s("svg", {
    class: "chart histogram",
    viewBox: `0 0 ${f.width} ${f.height}`,
    role: "img",
    "aria-label": `histogram of nonzero activations from ${figure(lo)} to ${figure(hi)}`,
  });
  svg.append(axes(f, { lo, hi, label: "activation" }, { lo: 0, hi: top, label: "tokens" }));
  const px = linear(0, counts.length, f.left, f.width - f.right);
  const py = linear(0, top, f.height - f.bottom, f.top);
  const binWidth = counts.length > 0 ? (hi - lo) / counts.length : 0;
  counts.forEach((count, i) => {
    if (count === 0) return;
    const x0 = px(i);
    const x1 = px(i + 1);
    svg.append(
      s(
        "rect",
        {
          class: "bar",
          x: x0 + 0.5,
          y: py(count),
          width: Math.max(0.5, x1 - x0 - 1),
          height: py(0) - py(count),
        },
        s("title", {}, `${figure(lo + i * binWidth)} – ${figure(lo + (i + 1) * binWidth)}: ${count} tokens`),
      ),
    );
  });
  return svg;
}
