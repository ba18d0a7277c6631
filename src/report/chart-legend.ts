/** A legend that flows left to right and wraps, drawn inside the SVG. */
import { tag } from "./html.js";
import { line, type MarkerShape, marker, text, textWidth } from "./svg.js";

export interface LegendItem {
  label: string;
  colour: string;
  /** a line with a marker (series), or a filled box (bars) */
  kind: "line" | "box";
  shape?: MarkerShape;
  dashed?: boolean;
  /** box fill opacity (a lighter second bar series) */
  opacity?: number;
}

const ROW = 18;
const SWATCH = 22;

/** The legend's SVG and its height, laid out within `width` from (left, top). */
export function flowLegend(
  items: readonly LegendItem[],
  left: number,
  top: number,
  width: number,
  size = 11,
): { svg: string; height: number } {
  if (items.length === 0) return { svg: "", height: 0 };
  const parts: string[] = [];
  let x = left;
  let y = top + ROW / 2;
  for (const item of items) {
    const w = SWATCH + 6 + textWidth(item.label, size) + 16;
    if (x > left && x + w > left + width) {
      x = left;
      y += ROW;
    }
    parts.push(swatch(item, x, y));
    parts.push(text(x + SWATCH + 6, y + size * 0.35, item.label, { "font-size": size, fill: "#333" }));
    x += w;
  }
  return { svg: tag("g", { class: "legend" }, ...parts), height: y - top + ROW / 2 };
}

function swatch(item: LegendItem, x: number, y: number): string {
  if (item.kind === "box") {
    return tag("rect", {
      x: x + 3,
      y: y - 6,
      width: SWATCH - 6,
      height: 12,
      fill: item.colour,
      "fill-opacity": item.opacity ?? 1,
      stroke: item.colour,
      rx: 1.5,
    });
  }
  const stroke = line(x, y, x + SWATCH, y, {
    stroke: item.colour,
    "stroke-width": 2,
    "stroke-dasharray": item.dashed ? "5 4" : undefined,
  });
  return stroke + (item.shape ? marker(item.shape, x + SWATCH / 2, y, item.colour, 8) : "");
}
