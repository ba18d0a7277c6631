/** One colour and marker shape per family, the same in every plot and table. */
import type { CompareResults } from "../compare/compare-results.js";
import { type MarkerShape, markerShapes } from "./svg.js";

/**
 * Okabe–Ito, colour-blind safe; black is left for text and the yellow is
 * darkened to read on white. Shapes cycle too, so families stay apart in grey.
 */
export const familyColours: readonly string[] = [
  "#0072B2",
  "#D55E00",
  "#009E73",
  "#E69F00",
  "#CC79A7",
  "#56B4E9",
  "#555555",
  "#B8A000",
];

export interface FamilyStyle {
  name: string;
  index: number;
  colour: string;
  shape: MarkerShape;
}

export type FamilyStyles = ReadonlyMap<string, FamilyStyle>;

/** Styles for the declared families in order, then any family only seen in runs or matched rows. */
export function familyStyles(results: CompareResults): FamilyStyles {
  const names: string[] = results.families.map((f) => f.name);
  for (const s of results.sections) {
    for (const r of s.runs) names.push(r.family);
    for (const m of s.matched) names.push(m.family);
  }
  const styles = new Map<string, FamilyStyle>();
  for (const name of names) {
    if (styles.has(name)) continue;
    const index = styles.size;
    styles.set(name, {
      name,
      index,
      colour: familyColours[index % familyColours.length]!,
      shape: markerShapes[index % markerShapes.length]!,
    });
  }
  return styles;
}

/** The style of a family (grey circles for a name never declared). */
export function styleOf(styles: FamilyStyles, name: string): FamilyStyle {
  return styles.get(name) ?? { name, index: Number.MAX_SAFE_INTEGER, colour: "#888888", shape: "circle" };
}

/** Family names in palette order. */
export function inFamilyOrder(styles: FamilyStyles, names: Iterable<string>): string[] {
  return [...new Set(names)].sort((a, b) => styleOf(styles, a).index - styleOf(styles, b).index);
}
