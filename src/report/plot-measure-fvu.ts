/**
 * Every matched measure against FVU, one small panel per measure: one line per
 * family through its runs (sorted by FVU), the targets as dashed vertical
 * lines, so that a reader sees the curves the matched tables interpolate, not
 * only the points read off them. Driven by the results' measure list, so a
 * measure added to src/compare/measures.ts gets its panel.
 */
import { type CompareSection, type MeasureInfo, sectionTargets } from "../compare/compare-results.js";
import { readMeasures } from "../compare/measures.js";
import { fixed, formatMeasure, isMissing } from "../util/number-format.js";
import { type Area, axisTickLabel, frame, leftMargin, xRange, yRange } from "./chart-frame.js";
import { swatch } from "./family-cell.js";
import { escapeHtml, tag, textTag } from "./html.js";
import { type FamilyStyles, styleOf } from "./palette.js";
import { dataScale } from "./scale.js";
import { runsByFamily } from "./section-runs.js";
import { line, marker, polylinePath, svgRoot, tooltip } from "./svg.js";

/** Width of each panel's viewBox (the panels sit several to a row). */
const PANEL_WIDTH = 300;
const PANEL_HEIGHT = 150;
const FONT = 10;

/** One panel: the measure it plots and its SVG. */
export interface MeasurePanel {
  measure: MeasureInfo;
  svg: string;
}

/** The panels of a section (measures no run has a value for are left out), and the legend they share. */
export function measureFvuPanels(
  measures: readonly MeasureInfo[],
  section: CompareSection,
  styles: FamilyStyles,
): { panels: MeasurePanel[]; legend: string } {
  const families = [...runsByFamily(section, styles)].map(([family, runs]) => ({
    family,
    points: runs
      .filter((r) => Number.isFinite(r.report.fvu))
      .map((r) => ({ k: r.k, fvu: r.report.fvu, measures: readMeasures(r.report) }))
      .sort((a, b) => a.fvu - b.fvu),
  }));
  const targets = sectionTargets(section).filter((t) => Number.isFinite(t.targetFvu));
  const panels: MeasurePanel[] = [];
  for (const measure of measures) {
    const lines = families
      .map((f) => ({ family: f.family, points: f.points.filter((p) => !isMissing(p.measures[measure.key])) }))
      .filter((f) => f.points.length > 0);
    if (lines.length === 0) continue;
    panels.push({ measure, svg: panel(measure, lines, targets, section.title, styles) });
  }
  // One legend for all panels, as HTML so that it keeps its size whatever the panels' width.
  const legend = tag(
    "ul",
    { class: "families" },
    ...families.map((f) =>
      tag("li", {}, swatch(styleOf(styles, f.family).colour), textTag("span", { class: "family" }, f.family)),
    ),
    tag("li", {}, textTag("span", { class: "target-key" }, "┆ target FVU")),
  );
  return { panels, legend };
}

function panel(
  measure: MeasureInfo,
  lines: { family: string; points: { k: number; fvu: number; measures: Record<string, number | null> }[] }[],
  targets: readonly { targetFvu: number; targetFrom: string }[],
  sectionTitle: string,
  styles: FamilyStyles,
): string {
  const percent = measure.format === "percent";
  const value = (p: { measures: Record<string, number | null> }) =>
    (percent ? 100 : 1) * p.measures[measure.key]!;
  const ys = lines.flatMap((l) => l.points.map(value));
  const probe = dataScale(ys, [0, 1], { count: 4 });
  const yTick = percent ? (v: number) => `${axisTickLabel(probe)(v)}%` : axisTickLabel(probe);
  const left = leftMargin(probe, yTick, FONT) - FONT - 10;
  const area: Area = { left, top: 8, width: PANEL_WIDTH - left - 12, height: PANEL_HEIGHT };
  const x = dataScale(
    [...lines.flatMap((l) => l.points.map((p) => p.fvu)), ...targets.map((t) => t.targetFvu)],
    xRange(area),
    { count: 4 },
  );
  const y = dataScale(ys, yRange(area), { count: 4 });
  // No y title: the panel's heading names the measure.
  const parts = [frame(area, x, y, { xLabel: "FVU", yTickLabel: yTick, fontSize: FONT })];
  for (const t of targets) {
    const px = x.map(t.targetFvu);
    parts.push(
      tag(
        "g",
        { class: "target-line" },
        line(px, area.top, px, area.top + area.height, {
          stroke: "#555",
          "stroke-dasharray": "5 4",
          "stroke-width": 1.1,
        }),
        tooltip(`target FVU ${fixed(t.targetFvu, 4)} (${t.targetFrom})`),
      ),
    );
  }
  for (const l of lines) {
    const s = styleOf(styles, l.family);
    const pts = l.points.map((p) => [x.map(p.fvu), y.map(value(p))] as const);
    parts.push(
      tag("path", {
        class: "family",
        "data-family": l.family,
        d: polylinePath(pts),
        fill: "none",
        stroke: s.colour,
        "stroke-width": 1.6,
      }),
    );
    l.points.forEach((p, i) => {
      const [px, py] = pts[i]!;
      const shown = formatMeasure(p.measures[measure.key], measure.format);
      parts.push(
        marker(
          s.shape,
          px,
          py,
          s.colour,
          6,
          `${l.family}, k=${p.k}: FVU ${fixed(p.fvu, 4)}, ${measure.label} ${shown}`,
        ),
      );
    });
  }
  const height = area.top + area.height + 12 + 2 * FONT + 8;
  return svgRoot(PANEL_WIDTH, height, `${measure.label} against FVU: ${sectionTitle}`, parts.join(""));
}

/** The caption of the panels, HTML. */
export function measureFvuCaption(section: CompareSection): string {
  const targets = sectionTargets(section)
    .map((t) => `${escapeHtml(fixed(t.targetFvu, 4))} (${escapeHtml(t.targetFrom)})`)
    .join(", ");
  return (
    "Each measure of every run against its held-out FVU, one line per family through its runs in order of FVU; " +
    `the dashed vertical lines are the targets at which the matched tables read the families: ${targets}. ` +
    "Left is better reconstruction. Hover a point for its run."
  );
}
