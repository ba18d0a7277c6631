/** A family's name in a table cell: colour swatch, name, and its score/decode/reweight. */
import type { FamilySpec } from "../compare/compare-results.js";
import { tag, textTag } from "./html.js";
import { type FamilyStyles, styleOf } from "./palette.js";

export function swatch(colour: string): string {
  return tag("span", { class: "swatch", style: `background:${colour}`, "aria-hidden": "true" });
}

/** The family's setup in words, e.g. "cosine · equivariant · equalize". */
export function specLine(spec: FamilySpec | undefined): string {
  if (!spec) return "";
  const origin = spec.cosineOf === "uncentred" ? "uncentred" : "";
  return [spec.score, origin, spec.decode, spec.reweight === "none" ? "" : `reweight ${spec.reweight}`]
    .filter((s) => s !== "")
    .join(" · ");
}

/** Swatch, escaped name, an optional mark after it, and the setup in small print. */
export function familyCell(
  name: string,
  styles: FamilyStyles,
  families: readonly FamilySpec[],
  mark = "",
): string {
  const spec = specLine(families.find((f) => f.name === name));
  return (
    swatch(styleOf(styles, name).colour) +
    textTag("span", { class: "family" }, name) +
    mark +
    (spec ? `<br>${textTag("span", { class: "spec" }, spec)}` : "")
  );
}
