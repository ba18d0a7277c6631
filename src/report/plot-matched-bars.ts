/** Horizontal bars per family at matched FVU: one bar per series (shares, drawn as percentages). */
import type { CompareResults, CompareSection } from "../compare/compare-results.js";
import { DASH, isMissing, percent } from "../util/number-format.js";
import { type Area, frame } from "./chart-frame.js";
import { escapeHtml, tag } from "./html.js";
import { type FamilyStyles, styleOf } from "./palette.js";
import { figureWithLegend, PLOT_WIDTH, type Plot } from "./plot.js";
import { dataScale, fixedScale } from "./scale.js";
import { text, textWidth, tooltip } from "./svg.js";

const BAR = 13;
const ROW_GAP = 10;

export interface BarSeries {
  /** the matched measure's key */
  key: string;
  /** shown when the results do not label the measure */
  fallback: string;
  opacity: number;
}

/**
 * The bars of `series` per family; a note (`missing`) when no family has the
 * first series. `what` names the axis ("% of latents"); the caption says the
 * rest after the series' names.
 */
export function matchedBarsPlot(args: {
  results: CompareResults;
  section: CompareSection;
  styles: FamilyStyles;
  title: string;
  series: readonly BarSeries[];
  missing: string;
  what: string;
  caption: string;
}): Plot {
  const { results, section, styles, title } = args;
  const label = (s: BarSeries) => results.measures.find((m) => m.key === s.key)?.label ?? s.fallback;
  const series = args.series
    .filter((s) => section.matched.some((m) => !isMissing(m.measures[s.key])))
    .map((s) => ({ ...s, label: label(s) }));
  if (series.length === 0 || series[0]!.key !== args.series[0]?.key) {
    return { kind: "note", title, note: args.missing };
  }

  const names = section.matched.map((m) => `${m.family}${m.bracketed ? "" : " †"}`);
  const left = Math.min(220, Math.max(...names.map((n) => textWidth(n, 11)))) + 16;
  const rowH = series.length * BAR + ROW_GAP;
  const area: Area = {
    left,
    top: 10,
    width: PLOT_WIDTH - left - 56,
    height: section.matched.length * rowH + ROW_GAP,
  };
  const values = section.matched.flatMap((m) => series.map((s) => 100 * (m.measures[s.key] ?? Number.NaN)));
  const x = dataScale(values, [area.left, area.left + area.width], { include: [0], count: 5 });
  const y = fixedScale(0, 1, [area.top + area.height, area.top], []);
  const parts = [frame(area, x, y, { xLabel: args.what, xTickLabel: (v) => `${v}%` })];

  section.matched.forEach((m, i) => {
    const st = styleOf(styles, m.family);
    const top = area.top + ROW_GAP + i * rowH;
    parts.push(
      text(area.left - 8, top + (series.length * BAR) / 2 + 4, names[i]!, {
        "text-anchor": "end",
        "font-size": 11,
        fill: "#222",
      }),
    );
    series.forEach((s, j) => {
      const v = m.measures[s.key];
      const by = top + j * BAR;
      if (isMissing(v)) {
        parts.push(text(area.left + 4, by + BAR - 3, DASH, { "font-size": 10, fill: "#777" }));
        return;
      }
      const w = Math.max(0, x.map(100 * v) - area.left);
      parts.push(
        tag(
          "rect",
          {
            x: area.left,
            y: by + 1,
            width: w,
            height: BAR - 2,
            fill: st.colour,
            "fill-opacity": s.opacity,
            stroke: st.colour,
          },
          tooltip(`${m.family}: ${s.label} ${percent(v)} at k ≈ ${m.k.toFixed(1)}`),
        ),
        text(area.left + w + 4, by + BAR - 3, percent(v), { "font-size": 10, fill: "#333" }),
      );
    });
  });
  return figureWithLegend({
    title,
    sectionTitle: section.title,
    parts,
    legend: series.map((s) => ({ label: s.label, colour: "#666", kind: "box" as const, opacity: s.opacity })),
    area,
    gap: 46,
    caption:
      `Interpolated at the target FVU ${escapeHtml(section.targetFvu.toFixed(4))}: ` +
      `${series.map((s) => escapeHtml(s.label)).join(" (solid) and ")}${series.length > 1 ? " (light)" : ""} ` +
      `per family${args.caption}. † the target lies outside the family's runs; values of the nearest run.`,
  });
}
