/** Mean L0 per decile of token norm ‖x‖: a norm-blind SAE draws a flat line. */
import type { CompareSection } from "../compare/compare-results.js";
import { fixed } from "../util/number-format.js";
import { type Area, frame, leftMargin, yRange } from "./chart-frame.js";
import { tag } from "./html.js";
import { type FamilyStyles, styleOf } from "./palette.js";
import { figureWithLegend, PLOT_WIDTH, type Plot } from "./plot.js";
import { dataScale, fixedScale } from "./scale.js";
import { nearestRuns } from "./section-runs.js";
import { marker, polylinePath } from "./svg.js";

const DECILES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

export function normDecilePlot(section: CompareSection, styles: FamilyStyles): Plot {
  const title = "Active latents by token norm";
  const series = [...nearestRuns(section, styles)].map(([family, run]) => ({
    family,
    run,
    l0: run.report.slotShare.decileMeanL0,
  }));
  const values = series.flatMap((s) => s.l0).filter(Number.isFinite);
  if (values.length === 0) return { kind: "note", title, note: "No run has slot shares by norm." };

  const left = leftMargin(dataScale(values, [0, 1], { include: [0] }));
  const area: Area = { left, top: 16, width: PLOT_WIDTH - left - 20, height: 250 };
  const x = fixedScale(0.5, 10.5, [area.left, area.left + area.width], DECILES);
  const y = dataScale(values, yRange(area), { include: [0] });
  const parts = [
    frame(area, x, y, {
      xLabel: "decile of token norm ‖x‖ (1 = lowest tenth, 10 = highest)",
      yLabel: "mean L0",
    }),
  ];
  for (const s of series) {
    const st = styleOf(styles, s.family);
    const pts = s.l0.map((v, i) => [x.map(i + 1), y.map(v)] as const);
    parts.push(tag("path", { d: polylinePath(pts), fill: "none", stroke: st.colour, "stroke-width": 2 }));
    s.l0.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      parts.push(
        marker(
          st.shape,
          pts[i]![0],
          pts[i]![1],
          st.colour,
          8,
          `${s.family}, k=${s.run.k}: decile ${i + 1}, mean L0 ${fixed(v, 2)}`,
        ),
      );
    });
  }
  return figureWithLegend({
    title,
    sectionTitle: section.title,
    parts,
    legend: series.map((s) => {
      const st = styleOf(styles, s.family);
      return {
        label: `${s.family} (k=${s.run.k})`,
        colour: st.colour,
        kind: "line" as const,
        shape: st.shape,
      };
    }),
    area,
    gap: 48,
    caption:
      "Mean number of active latents per token in each tenth of the held-out tokens sorted by norm, for each " +
      "family's run nearest the target FVU. A score that ignores the norm gives a flat line; a rising line " +
      "means large tokens claim more of the BatchTopK slots.",
  });
}
