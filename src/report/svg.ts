/** SVG element strings: the root, lines, text, paths and the family markers. */
import { type Attrs, emptyTag, tag, textTag } from "./html.js";

/** Approximate width of `text` at `size` px in a system sans-serif (for layout only). */
export function textWidth(text: string, size = 11): number {
  return text.length * size * 0.58;
}

/** The root element: scales to its container, keeps its aspect ratio. */
export function svgRoot(width: number, height: number, label: string, body: string): string {
  return tag(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": label, class: "chart" },
    body,
  );
}

export function line(x1: number, y1: number, x2: number, y2: number, a: Attrs = {}): string {
  return emptyTag("line", { x1, y1, x2, y2, ...a });
}

export function text(x: number, y: number, content: string, a: Attrs = {}): string {
  return textTag("text", { x, y, ...a }, content);
}

/** A tooltip: a <title> child, shown by the browser on hover. */
export function tooltip(content: string): string {
  return textTag("title", {}, content);
}

/** A polyline path through the points; non-finite points break it into pieces. */
export function polylinePath(points: readonly (readonly [number, number])[]): string {
  let d = "";
  let pen = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${round(x)},${round(y)}`;
    pen = true;
  }
  return d;
}

export function round(v: number): number {
  return Math.round(v * 100) / 100;
}

export type MarkerShape = "circle" | "square" | "triangle" | "diamond" | "triangle-down" | "hexagon";
export const markerShapes: readonly MarkerShape[] = [
  "circle",
  "square",
  "triangle",
  "diamond",
  "triangle-down",
  "hexagon",
];

/** Points of a regular polygon of `n` corners around (x, y), the first at angle `start`. */
function polygon(x: number, y: number, r: number, n: number, start: number): string {
  const pts: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = start + (2 * Math.PI * i) / n;
    pts.push(`${round(x + r * Math.cos(a))},${round(y + r * Math.sin(a))}`);
  }
  return pts.join(" ");
}

/** A marker of about `size` px across, filled with `colour`, white-edged, with an optional tooltip. */
export function marker(
  shape: MarkerShape,
  x: number,
  y: number,
  colour: string,
  size = 8,
  title = "",
): string {
  const r = size / 2;
  const a: Attrs = { fill: colour, stroke: "#fff", "stroke-width": 1 };
  const child = title ? tooltip(title) : "";
  switch (shape) {
    case "circle":
      return tag("circle", { cx: x, cy: y, r, ...a }, child);
    case "square":
      return tag("rect", { x: x - r * 0.9, y: y - r * 0.9, width: r * 1.8, height: r * 1.8, ...a }, child);
    case "triangle":
      return tag("polygon", { points: polygon(x, y + r * 0.15, r * 1.2, 3, -Math.PI / 2), ...a }, child);
    case "triangle-down":
      return tag("polygon", { points: polygon(x, y - r * 0.15, r * 1.2, 3, Math.PI / 2), ...a }, child);
    case "diamond":
      return tag("polygon", { points: polygon(x, y, r * 1.25, 4, 0), ...a }, child);
    case "hexagon":
      return tag("polygon", { points: polygon(x, y, r * 1.1, 6, 0), ...a }, child);
  }
}
