import type { Area } from "./chart-frame.js";
import { flowLegend, type LegendItem } from "./chart-legend.js";
import { svgRoot } from "./svg.js";

/** What each plot function returns: a figure, or a note on why there is none. */
export type Plot =
  /** `caption` and `note` are HTML (their data already escaped) */
  | { kind: "figure"; title: string; svg: string; caption: string }
  | { kind: "note"; title: string; note: string };

/** Width of every plot's viewBox; plots scale to their grid cell. */
export const PLOT_WIDTH = 600;

/** Space under the legend. */
const LEGEND_MARGIN = 6;

/**
 * A plot whose legend flows below its area: the parts, then the legend `gap`
 * below the area's bottom, in an SVG just tall enough for both.
 */
export function figureWithLegend(args: {
  title: string;
  sectionTitle: string;
  parts: string[];
  legend: readonly LegendItem[];
  area: Area;
  gap: number;
  caption: string;
}): Plot {
  const { area } = args;
  const top = area.top + area.height + args.gap;
  const legend = flowLegend(args.legend, area.left, top, area.width);
  return {
    kind: "figure",
    title: args.title,
    svg: svgRoot(
      PLOT_WIDTH,
      top + legend.height + LEGEND_MARGIN,
      `${args.title}: ${args.sectionTitle}`,
      [...args.parts, legend.svg].join(""),
    ),
    caption: args.caption,
  };
}
