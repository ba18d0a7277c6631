/**
 * The magnitude dependence α: a histogram of per-latent α for the run nearest the
 * target, and a strip of every run's α (median, quartiles, range) per k.
 */
import type { CompareRun, CompareSection } from "../compare/compare-results.js";
import { fixed, percent } from "../util/number-format.js";
import { type Area, frame } from "./chart-frame.js";
import { flowLegend } from "./chart-legend.js";
import { percentShares, stepPath } from "./histogram-path.js";
import { escapeHtml, tag } from "./html.js";
import { type FamilyStyles, styleOf } from "./palette.js";
import { PLOT_WIDTH, type Plot } from "./plot.js";
import { fixedScale, linearScale } from "./scale.js";
import { nearestRun, runsByFamily } from "./section-runs.js";
import { line, marker, svgRoot, text, textWidth, tooltip } from "./svg.js";

const ALPHA_TICKS = [0, 0.25, 0.5, 0.75, 1];
const HEADER = 17;
const ROW = 15;

export function alphaPlot(section: CompareSection, styles: FamilyStyles): Plot {
  const title = "Magnitude dependence α";
  const families = [...runsByFamily(section, styles)]
    .map(([family, runs]) => ({ family, runs: runs.filter((r) => r.report.alpha !== null) }))
    .filter((f) => f.runs.length > 0)
    .map((f) => ({ ...f, nearest: nearestRun(f.runs, section.targetFvu) }));
  if (families.length === 0) {
    return {
      kind: "note",
      title,
      note: "No family in this section learns α (inner and cosine scores have none), so there is no α plot.",
    };
  }
  const withHist = families.filter((f) => f.nearest?.report.alphaHistogram);

  const left = 64;
  const width = PLOT_WIDTH - left - 24;
  const x = fixedScale(0, 1, [left, left + width], ALPHA_TICKS);
  const parts: string[] = [];
  let top = 24;

  if (withHist.length > 0) {
    const series = withHist.map((f) => {
      const h = f.nearest!.report.alphaHistogram!;
      return { f, h, shares: percentShares(h) };
    });
    const area: Area = { left, top, width, height: 150 };
    const y = linearScale(0, Math.max(1, ...series.flatMap((s) => s.shares)), [top + 150, top], 4);
    parts.push(frame(area, x, y, { yLabel: "% of latents", yTickLabel: (v) => `${v}%` }));
    for (const s of series) {
      const st = styleOf(styles, s.f.family);
      parts.push(
        tag(
          "path",
          {
            d: stepPath(s.h, s.shares, x, y),
            fill: st.colour,
            "fill-opacity": 0.1,
            stroke: st.colour,
            "stroke-width": 1.8,
            "stroke-linejoin": "miter",
          },
          tooltip(
            `${s.f.family}, k=${s.f.nearest!.k}: per-latent α of ${s.h.counts.reduce((a, c) => a + c, 0)} latents`,
          ),
        ),
      );
    }
    const labels = series.map((s) => `${s.f.family} (k=${s.f.nearest!.k})`);
    const legendWidth = Math.max(...labels.map((l) => textWidth(l))) + 50;
    const legend = flowLegend(
      series.map((s, i) => {
        const st = styleOf(styles, s.f.family);
        return { label: labels[i]!, colour: st.colour, kind: "box" as const, opacity: 0.35 };
      }),
      left + width - legendWidth,
      top + 4,
      legendWidth,
    );
    parts.push(
      tag("rect", {
        x: left + width - legendWidth - 6,
        y: top + 2,
        width: legendWidth + 2,
        height: legend.height + 4,
        fill: "#fff",
        "fill-opacity": 0.85,
      }),
      legend.svg,
    );
    top += 150 + 40;
  }

  // The strip: a header per family, then one row per run.
  const rows = families.reduce((n, f) => n + HEADER + ROW * f.runs.length, 0);
  const strip: Area = { left, top, width, height: rows + 6 };
  parts.push(
    frame(strip, x, fixedScale(0, 1, [top + rows + 6, top], []), {
      xLabel: "α   (0 = pure cosine score, 1 = inner product)",
    }),
  );
  let rowTop = top + 3;
  for (const f of families) {
    const st = styleOf(styles, f.family);
    parts.push(
      text(left + 4, rowTop + 12, f.family, { "font-size": 11, "font-weight": 600, fill: st.colour }),
    );
    rowTop += HEADER;
    for (const r of f.runs) {
      parts.push(runRow(r, rowTop + ROW / 2, x.map, st.colour, st.shape, r === f.nearest, left));
      rowTop += ROW;
    }
  }
  const bottom = top + rows + 6;

  // α = 0.5 across both panels.
  const half = x.map(0.5);
  parts.push(
    line(half, 22, half, bottom, { stroke: "#333", "stroke-dasharray": "4 3", "stroke-width": 1.1 }),
    text(half, 16, "α = 0.5", { "text-anchor": "middle", "font-size": 10.5, fill: "#333" }),
  );
  const h = bottom + 48;
  return {
    kind: "figure",
    title,
    svg: svgRoot(PLOT_WIDTH, h, `${title}: ${section.title}`, parts.join("")),
    caption:
      (withHist.length > 0
        ? "Top: per-latent α of each family's run nearest the target FVU (share of latents in 20 bins). "
        : "") +
      "Below: every run's α by k — one point for a shared scalar α; for per-latent α the median, " +
      "a thick bar from the first to the third quartile and a thin one from min to max " +
      `(bold k: the run nearest the target FVU ${escapeHtml(fixed(section.targetFvu, 4))}). ` +
      "Left of the dashed 0.5 the score is closer to cosine than to the inner product.",
  };
}

/** One run's α: a point, with quartile and range bars when α is per latent. */
function runRow(
  r: CompareRun,
  cy: number,
  map: (v: number) => number,
  colour: string,
  shape: Parameters<typeof marker>[0],
  nearest: boolean,
  left: number,
): string {
  const a = r.report.alpha!;
  const parts = [
    text(left - 7, cy + 3.5, `k=${r.k}`, {
      "text-anchor": "end",
      "font-size": 10,
      "font-weight": nearest ? 700 : 400,
      fill: nearest ? "#111" : "#666",
    }),
  ];
  const tip =
    a.count === 1
      ? `${r.family}, k=${r.k}: α = ${fixed(a.median, 3)}`
      : `${r.family}, k=${r.k}: ${a.count} latents, α median ${fixed(a.median, 3)}, ` +
        `quartiles ${fixed(a.q1, 3)}–${fixed(a.q3, 3)}, range ${fixed(a.min, 3)}–${fixed(a.max, 3)}, ` +
        `${percent(a.shareAbove)} above 0.5`;
  if (a.count > 1 && Number.isFinite(a.min) && Number.isFinite(a.max)) {
    parts.push(
      line(map(a.min), cy, map(a.max), cy, { stroke: colour, "stroke-width": 1, "stroke-opacity": 0.7 }),
      line(map(a.q1), cy, map(a.q3), cy, { stroke: colour, "stroke-width": 5, "stroke-opacity": 0.45 }),
    );
  }
  if (Number.isFinite(a.median)) parts.push(marker(shape, map(a.median), cy, colour, 8, tip));
  return parts.join("");
}
