/** Places small point labels where they overlap nothing; labels that fit nowhere are dropped. */
import { textWidth } from "./svg.js";

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface PlacedLabel {
  x: number;
  /** text baseline */
  y: number;
  text: string;
  anchor: "start" | "middle" | "end";
  /** which anchor the label belongs to */
  index: number;
}

const overlaps = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
const inside = (a: Box, b: Box) => a.x0 >= b.x0 && a.x1 <= b.x1 && a.y0 >= b.y0 && a.y1 <= b.y1;

/** The box around each point (a marker of radius `r`), to keep labels off them. */
export function pointBoxes(points: readonly { x: number; y: number }[], r: number): Box[] {
  return points.map((p) => ({ x0: p.x - r, y0: p.y - r, x1: p.x + r, y1: p.y + r }));
}

/**
 * For each anchor in turn, the first of eight spots around it (right, left,
 * above, below) whose box stays in `bounds` and clears `occupied` and the
 * labels already placed.
 */
export function placeLabels(
  anchors: readonly { x: number; y: number; text: string }[],
  occupied: readonly Box[],
  bounds: Box,
  size = 10,
): PlacedLabel[] {
  const taken = [...occupied];
  const placed: PlacedLabel[] = [];
  const h = size;
  for (const [index, a] of anchors.entries()) {
    const w = textWidth(a.text, size);
    const spots: [number, number, PlacedLabel["anchor"]][] = [
      [a.x + 6, a.y - 5, "start"],
      [a.x + 6, a.y + 5 + h, "start"],
      [a.x - 6, a.y - 5, "end"],
      [a.x - 6, a.y + 5 + h, "end"],
      [a.x, a.y - 8, "middle"],
      [a.x, a.y + 8 + h, "middle"],
      [a.x + 8, a.y + h * 0.35, "start"],
      [a.x - 8, a.y + h * 0.35, "end"],
    ];
    for (const [x, y, anchor] of spots) {
      const x0 = anchor === "start" ? x : anchor === "end" ? x - w : x - w / 2;
      const box = { x0, y0: y - h * 0.85, x1: x0 + w, y1: y + h * 0.2 };
      if (!inside(box, bounds) || taken.some((t) => overlaps(t, box))) continue;
      taken.push(box);
      placed.push({ x, y, text: a.text, anchor, index });
      break;
    }
  }
  return placed;
}
