/**
 * α against training step for the families that learn it, at the base k: the
 * median α_j (blend's one α) as a line, the quartiles of α_j as a band, so a
 * reader sees whether α settles, and where, or is still moving at the end.
 */
import type { CompareResults, CompareRun, CompareSection } from "../compare/compare-results.js";
import { fixed } from "../util/number-format.js";
import { type Area, frame, xRange, yRange } from "./chart-frame.js";
import { escapeHtml, tag } from "./html.js";
import { type FamilyStyles, styleOf } from "./palette.js";
import { figureWithLegend, PLOT_WIDTH, type Plot } from "./plot.js";
import { dataScale, fixedScale } from "./scale.js";
import { nearestRun, runsByFamily } from "./section-runs.js";
import { line, polylinePath, round, tooltip } from "./svg.js";

const ALPHA_TICKS = [0, 0.25, 0.5, 0.75, 1];

export function alphaStepsPlot(results: CompareResults, section: CompareSection, styles: FamilyStyles): Plot {
  const title = "α during training";
  const baseK = Number(results.settings.baseK);
  // Each α family's run at the base k, or (a grid without it) its run nearest the main target.
  const series: { family: string; run: CompareRun }[] = [];
  for (const [family, runs] of runsByFamily(section, styles)) {
    const traced = runs.filter((r) => (r.alphaSteps ?? null) !== null && r.alphaSteps!.length > 0);
    const run = traced.find((r) => r.k === baseK) ?? nearestRun(traced, section.targetFvu);
    if (run) series.push({ family, run });
  }
  if (series.length === 0) {
    return {
      kind: "note",
      title,
      note: "No run in this section logged α during training (inner and cosine scores have none).",
    };
  }
  const left = 56;
  const area: Area = { left, top: 14, width: PLOT_WIDTH - left - 20, height: 220 };
  const steps = series.flatMap((s) => s.run.alphaSteps!.map((a) => a.step));
  const x = dataScale([0, ...steps], xRange(area), { count: 6 });
  const y = fixedScale(0, 1, yRange(area), ALPHA_TICKS);
  const parts = [frame(area, x, y, { xLabel: "training step", yLabel: "α" })];
  const half = y.map(0.5);
  parts.push(
    line(area.left, half, area.left + area.width, half, { stroke: "#999", "stroke-dasharray": "3 3" }),
  );
  for (const { family, run } of series) {
    const s = styleOf(styles, family);
    const trace = run.alphaSteps!;
    const withSpread = trace.filter((a) => a.quartiles !== null);
    if (withSpread.length > 1) {
      // The band between q1 and q3: along q3 forward, back along q1.
      const upper = withSpread.map((a) => `${round(x.map(a.step))},${round(y.map(a.quartiles![3]))}`);
      const lower = withSpread
        .map((a) => `${round(x.map(a.step))},${round(y.map(a.quartiles![1]))}`)
        .reverse();
      parts.push(
        tag("path", {
          class: "alpha-band",
          "data-family": family,
          d: `M${upper.join("L")}L${lower.join("L")}Z`,
          fill: s.colour,
          "fill-opacity": 0.14,
          stroke: "none",
        }),
      );
    }
    const centre = trace.map((a) => [x.map(a.step), y.map(a.quartiles?.[2] ?? a.mean)] as const);
    parts.push(
      tag(
        "path",
        {
          class: "alpha-line",
          "data-family": family,
          d: polylinePath(centre),
          fill: "none",
          stroke: s.colour,
          "stroke-width": 2,
        },
        tooltip(alphaTooltip(family, run)),
      ),
    );
  }
  return figureWithLegend({
    title,
    sectionTitle: section.title,
    parts,
    legend: series.map(({ family, run }) => {
      const s = styleOf(styles, family);
      return { label: `${family} (k=${run.k})`, colour: s.colour, kind: "line" as const };
    }),
    area,
    gap: 40,
    caption:
      "α at every logged training step, one line per family that learns it: the median over latents of " +
      "α<sub>j</sub> for blend-feature (the band spans its quartiles), the one α for blend. " +
      `Runs at k = ${escapeHtml(String(Number.isFinite(baseK) ? baseK : "—"))} (else the run nearest the target); ` +
      "the dotted line is α = 0.5. α = 0 is the cosine score, α = 1 the inner product.",
  });
}

function alphaTooltip(family: string, run: CompareRun): string {
  const last = run.alphaSteps!.at(-1)!;
  const q = last.quartiles;
  return (
    `${family}, k=${run.k}, step ${last.step}: ` +
    (q
      ? `median α ${fixed(q[2], 3)} [${fixed(q[1], 2)}, ${fixed(q[3], 2)}], range ${fixed(q[0], 2)}–${fixed(q[4], 2)}`
      : `α ${fixed(last.mean, 3)}`)
  );
}
