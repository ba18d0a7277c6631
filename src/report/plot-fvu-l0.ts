/** FVU against L0: one line per family through its runs, the target FVUs dashed. */
import { type CompareSection, sectionTargets } from "../compare/compare-results.js";
import { fixed } from "../util/number-format.js";
import { type Area, frame, leftMargin, xRange, yRange } from "./chart-frame.js";
import { escapeHtml, tag } from "./html.js";
import { placeLabels, pointBoxes } from "./label-placer.js";
import { type FamilyStyles, styleOf } from "./palette.js";
import { figureWithLegend, PLOT_WIDTH, type Plot } from "./plot.js";
import { dataScale } from "./scale.js";
import { runsByFamily } from "./section-runs.js";
import { line, marker, polylinePath, text } from "./svg.js";

export function fvuL0Plot(section: CompareSection, styles: FamilyStyles): Plot {
  const title = "Reconstruction against sparsity";
  const groups = [...runsByFamily(section, styles)].map(([family, runs]) => ({
    family,
    points: runs
      .filter((r) => Number.isFinite(r.report.l0) && Number.isFinite(r.report.fvu))
      .map((r) => ({ k: r.k, l0: r.report.l0, fvu: r.report.fvu }))
      .sort((a, b) => a.l0 - b.l0),
  }));
  const all = groups.flatMap((g) => g.points);
  if (all.length === 0) return { kind: "note", title, note: "No run has a finite FVU and L0." };

  const targets = sectionTargets(section)
    .map((t) => t.targetFvu)
    .filter(Number.isFinite);
  const include = targets;
  const fvus = all.map((p) => p.fvu);
  // The ticks, hence the margin they need, do not depend on the pixel range.
  const left = leftMargin(dataScale(fvus, [0, 1], { include }));
  const area: Area = { left, top: 16, width: PLOT_WIDTH - left - 20, height: 280 };
  const x = dataScale(
    all.map((p) => p.l0),
    xRange(area),
    { logAbove: 4 },
  );
  const ys = dataScale(fvus, yRange(area), { include });

  const parts = [
    frame(area, x, ys, {
      xLabel: `L0 (active latents per token${x.log ? ", log scale" : ""})`,
      yLabel: "FVU",
    }),
  ];
  for (const target of targets) {
    const ty = ys.map(target);
    parts.push(
      line(area.left, ty, area.left + area.width, ty, {
        stroke: "#333",
        "stroke-dasharray": "6 4",
        "stroke-width": 1.2,
      }),
      text(area.left + area.width - 4, ty - 5, `target FVU ${fixed(target, 4)}`, {
        "text-anchor": "end",
        "font-size": 10.5,
        fill: "#333",
      }),
    );
  }
  const anchors: { x: number; y: number; text: string; colour: string }[] = [];
  for (const g of groups) {
    const s = styleOf(styles, g.family);
    const pts = g.points.map((p) => [x.map(p.l0), ys.map(p.fvu)] as const);
    parts.push(tag("path", { d: polylinePath(pts), fill: "none", stroke: s.colour, "stroke-width": 2 }));
    g.points.forEach((p, i) => {
      const [px, py] = pts[i]!;
      parts.push(
        marker(
          s.shape,
          px,
          py,
          s.colour,
          9,
          `${g.family}, k=${p.k}: L0 ${fixed(p.l0, 2)}, FVU ${fixed(p.fvu, 4)}`,
        ),
      );
      anchors.push({ x: px, y: py, text: `k=${p.k}`, colour: s.colour });
    });
  }
  // Labels last, clear of every marker and of the target caption.
  const bounds = { x0: area.left, y0: area.top, x1: area.left + area.width, y1: area.top + area.height };
  const occupied = pointBoxes(anchors, 5);
  for (const target of targets) {
    const ty = ys.map(target);
    occupied.push({ x0: area.left + area.width - 130, y0: ty - 16, x1: area.left + area.width, y1: ty + 2 });
  }
  const placed = placeLabels(anchors, occupied, bounds);
  for (const p of placed) {
    parts.push(
      text(p.x, p.y, p.text, { "text-anchor": p.anchor, "font-size": 10, fill: anchors[p.index]!.colour }),
    );
  }

  return figureWithLegend({
    title,
    sectionTitle: section.title,
    parts,
    legend: groups.map((g) => {
      const s = styleOf(styles, g.family);
      return { label: g.family, colour: s.colour, kind: "line" as const, shape: s.shape };
    }),
    area,
    gap: 48,
    caption:
      `FVU of every run against its held-out L0, one line per family through its k values` +
      `${x.log ? " (log-scale L0)" : ""}. The dashed lines are the target FVUs ` +
      `${escapeHtml(targets.map((t) => fixed(t, 4)).join(", "))} at which the matched tables compare the families; lower and further left is better.`,
  });
}
