/** Small multiples: each family's histogram of latent norm-AUROC, the 0.9 threshold marked. */
import type { CompareSection } from "../compare/compare-results.js";
import { count, percent } from "../util/number-format.js";
import { type Area, frame } from "./chart-frame.js";
import { binEdges } from "./histogram-path.js";
import { tag } from "./html.js";
import { type FamilyStyles, styleOf } from "./palette.js";
import { PLOT_WIDTH, type Plot } from "./plot.js";
import { fixedScale, linearScale } from "./scale.js";
import { nearestRuns } from "./section-runs.js";
import { line, svgRoot, text, textWidth, tooltip } from "./svg.js";

/** The norm-correlation threshold of DESIGN §4. */
const THRESHOLD = 0.9;
const PANEL_H = 92;
const GAP_Y = 34;

export function normAurocPlot(section: CompareSection, styles: FamilyStyles): Plot {
  const title = "Norm detection per latent";
  const panels = [...nearestRuns(section, styles)].map(([family, run]) => ({
    family,
    run,
    h: run.report.normAurocHistogram,
  }));
  if (panels.length === 0) return { kind: "note", title, note: "No run to show." };

  const cols = panels.length === 1 ? 1 : panels.length <= 4 ? 2 : 3;
  const rows = Math.ceil(panels.length / cols);
  const outerLeft = 30;
  const gapX = 44;
  const panelW = (PLOT_WIDTH - outerLeft - 14 - gapX * (cols - 1)) / cols;
  const maxCount = Math.max(1, ...panels.flatMap((p) => p.h.counts));
  const stats = panels.map((p) => {
    const total = p.h.counts.reduce((s, c) => s + c, 0);
    const above = p.h.counts.reduce((s, c, b) => s + (binEdges(p.h, b)[0] >= THRESHOLD - 1e-9 ? c : 0), 0);
    return `≥ 0.9: ${count(above)} (${percent(total > 0 ? above / total : Number.NaN)})`;
  });
  // Name and count side by side when every panel has room, else the count below the name.
  const oneLine = panels.every(
    (p, i) => textWidth(p.family, 11) + textWidth(stats[i]!, 10) + 16 <= panelW - 14,
  );
  const TITLE_H = oneLine ? 20 : 32;
  const parts: string[] = [];

  panels.forEach((p, i) => {
    const st = styleOf(styles, p.family);
    const col = i % cols;
    const row = Math.floor(i / cols);
    const area: Area = {
      left: outerLeft + col * (panelW + gapX) + 14,
      top: 8 + row * (TITLE_H + PANEL_H + GAP_Y) + TITLE_H,
      width: panelW - 14,
      height: PANEL_H,
    };
    const x = fixedScale(p.h.lo, p.h.hi, [area.left, area.left + area.width], [0, 0.5, 1]);
    const y = linearScale(0, maxCount, [area.top + area.height, area.top], 3);
    parts.push(frame(area, x, y, { fontSize: 10 }));
    p.h.counts.forEach((c, b) => {
      if (c <= 0) return;
      const [a, e] = binEdges(p.h, b);
      const x0 = x.map(a) + 0.5;
      const x1 = x.map(e) - 0.5;
      parts.push(
        tag(
          "rect",
          {
            x: x0,
            y: y.map(c),
            width: Math.max(0.5, x1 - x0),
            height: y.map(0) - y.map(c),
            fill: st.colour,
            "fill-opacity": 0.85,
          },
          tooltip(`${p.family}, k=${p.run.k}: AUROC ${a.toFixed(2)}–${e.toFixed(2)}: ${c} latents`),
        ),
      );
    });
    const tx = x.map(THRESHOLD);
    parts.push(
      line(tx, area.top - 2, tx, area.top + area.height, { stroke: "#222", "stroke-dasharray": "3 3" }),
    );

    parts.push(
      text(area.left, area.top - (oneLine ? 7 : 19), p.family, {
        "font-size": 11,
        "font-weight": 600,
        fill: st.colour,
      }),
      oneLine
        ? text(area.left + area.width, area.top - 7, stats[i]!, {
            "font-size": 10,
            fill: "#444",
            "text-anchor": "end",
          })
        : text(area.left, area.top - 6, stats[i]!, { "font-size": 10, fill: "#444" }),
    );
  });
  const bottom = 8 + rows * (TITLE_H + PANEL_H + GAP_Y) - GAP_Y + 18;
  parts.push(
    text(PLOT_WIDTH / 2, bottom + 16, "norm AUROC of the latent (‖x‖ predicting that it fires)", {
      "text-anchor": "middle",
      "font-size": 12,
      fill: "#222",
    }),
    text(12, (8 + bottom) / 2, "latents", {
      "text-anchor": "middle",
      "font-size": 12,
      fill: "#222",
      transform: `rotate(-90 12 ${Math.round((8 + bottom) / 2)})`,
    }),
  );
  return {
    kind: "figure",
    title,
    svg: svgRoot(PLOT_WIDTH, bottom + 24, `${title}: ${section.title}`, parts.join("")),
    caption:
      "For each family's run nearest the target FVU: how well the token norm alone predicts that a latent " +
      "fires (AUROC, latents firing often enough to measure, 20 bins, shared count axis). Right of the dashed " +
      "line at 0.9 a latent counts as norm-correlated; 0.5 is no relation to the norm.",
  };
}
