/**
 * The task measures of DESIGN §4 at matched FVU: k-sparse probe accuracy
 * against k per family, under the raw-activation ceiling, and first-letter
 * feature absorption per family.
 */
import type { CompareResults, CompareSection } from "../compare/compare-results.js";
import { fixed } from "../util/number-format.js";
import { type Area, frame, leftMargin, xRange, yRange } from "./chart-frame.js";
import type { LegendItem } from "./chart-legend.js";
import { escapeHtml, tag } from "./html.js";
import { type FamilyStyles, styleOf } from "./palette.js";
import { figureWithLegend, PLOT_WIDTH, type Plot } from "./plot.js";
import { matchedBarsPlot } from "./plot-matched-bars.js";
import { dataScale, type Scale } from "./scale.js";
import { line, marker, polylinePath, text } from "./svg.js";

export function taskMeasurePlots(
  results: CompareResults,
  section: CompareSection,
  styles: FamilyStyles,
): Plot[] {
  return [probingPlot(results, section, styles), absorptionPlot(results, section, styles)];
}

/** The k of every "probeAccuracy<k>" measure, ascending. */
function probedKs(results: CompareResults): number[] {
  return results.measures
    .flatMap((m) => /^probeAccuracy(\d+)$/.exec(m.key)?.[1] ?? [])
    .map(Number)
    .sort((a, b) => a - b);
}

/** A log axis over [lo, hi] labelled at exactly `ticks`. */
function logAxis(lo: number, hi: number, range: readonly [number, number], ticks: readonly number[]): Scale {
  const [a, b] = range;
  const span = Math.log(hi / lo) || 1;
  return { lo, hi, range, ticks, log: true, map: (v) => a + (Math.log(v / lo) / span) * (b - a) };
}

function probingPlot(results: CompareResults, section: CompareSection, styles: FamilyStyles): Plot {
  const title = "k-sparse probing at matched FVU";
  const ks = probedKs(results);
  const lines = section.matched
    .map((m) => ({
      row: m,
      points: ks
        .map((k) => ({ k, accuracy: m.measures[`probeAccuracy${k}`] ?? Number.NaN }))
        .filter((p) => Number.isFinite(p.accuracy)),
    }))
    .filter((l) => l.points.length > 0);
  if (lines.length === 0)
    return {
      kind: "note",
      title,
      note: "No k-sparse probing at matched FVU (the data have no concept tasks).",
    };
  const probing = section.runs.find((r) => r.report.probing)?.report.probing ?? null;
  const ceiling = probing?.ceiling.accuracy ?? Number.NaN;

  const values = lines.flatMap((l) => l.points.map((p) => p.accuracy));
  const include = Number.isFinite(ceiling) ? [ceiling] : [];
  const left = leftMargin(dataScale(values, [0, 1], { include }));
  const area: Area = { left, top: 16, width: PLOT_WIDTH - left - 24, height: 250 };
  const x = logAxis(ks[0]! / 1.25, ks[ks.length - 1]! * 1.25, xRange(area), ks);
  const y = dataScale(values, yRange(area), { include });
  const parts = [
    frame(area, x, y, { xLabel: "k (latents per probe, log scale)", yLabel: "held-out accuracy" }),
  ];
  if (Number.isFinite(ceiling)) {
    const cy = y.map(ceiling);
    parts.push(
      line(area.left, cy, area.left + area.width, cy, {
        stroke: "#333",
        "stroke-dasharray": "6 4",
        "stroke-width": 1.2,
      }),
      text(area.left + area.width - 4, cy - 5, `raw activations (all d) ${fixed(ceiling, 3)}`, {
        "text-anchor": "end",
        "font-size": 10.5,
        fill: "#333",
      }),
    );
  }
  for (const l of lines) {
    const s = styleOf(styles, l.row.family);
    const pts = l.points.map((p) => [x.map(p.k), y.map(p.accuracy)] as const);
    parts.push(tag("path", { d: polylinePath(pts), fill: "none", stroke: s.colour, "stroke-width": 2 }));
    l.points.forEach((p, i) => {
      parts.push(
        marker(
          s.shape,
          pts[i]![0],
          pts[i]![1],
          s.colour,
          9,
          `${l.row.family}${l.row.bracketed ? "" : " (nearest run)"}: k=${p.k} probes, accuracy ${fixed(p.accuracy, 3)}`,
        ),
      );
    });
  }
  const legend: LegendItem[] = lines.map((l) => {
    const s = styleOf(styles, l.row.family);
    return {
      label: `${l.row.family}${l.row.bracketed ? "" : " †"}`,
      colour: s.colour,
      kind: "line",
      shape: s.shape,
    };
  });
  if (Number.isFinite(ceiling))
    legend.push({ label: "raw ceiling", colour: "#333", kind: "line", dashed: true });
  return figureWithLegend({
    title,
    sectionTitle: section.title,
    parts,
    legend,
    area,
    gap: 48,
    caption:
      `Mean held-out accuracy over ${probing ? `${probing.tasks} balanced concept tasks` : "the concept tasks"} ` +
      "of a logistic probe on the k latents whose class means differ most on the task's training tokens, " +
      `interpolated at the target FVU ${escapeHtml(fixed(section.targetFvu, 4))}; chance is 0.5. The dashed line ` +
      "is the same probe on all d raw dimensions. † the target lies outside the family's runs; values of the nearest run.",
  });
}

function absorptionPlot(results: CompareResults, section: CompareSection, styles: FamilyStyles): Plot {
  return matchedBarsPlot({
    results,
    section,
    styles,
    title: "First-letter feature absorption at matched FVU",
    series: [
      { key: "absorptionRate", fallback: "absorption", opacity: 1 },
      { key: "absorptionFalseNegativeRate", fallback: "letter FN", opacity: 0.3 },
    ],
    missing:
      "No feature absorption at matched FVU: the held-out tokens have no text (synthetic data), or no letter starts enough of them.",
    what: "% of the tokens a letter's raw probe finds (mean over letters)",
    caption:
      ": a false negative is a token where none of the letter's latents fires; it is absorbed when another " +
      "firing latent carries the probe direction instead (DESIGN §4)",
  });
}
