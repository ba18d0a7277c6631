/**
 * The report's section on where cosine's advantage holds: per family, its
 * matched measures minus the reference's, depth by depth and hook by hook
 * (see src/compare/hook-contrast.ts).
 */

import type { CompareResults } from "../compare/compare-results.js";
import { formatDelta } from "../compare/compare-tables.js";
import { hookContrasts } from "../compare/hook-contrast.js";
import { formatMeasure } from "../util/number-format.js";
import { escapeHtml, tag, textTag } from "./html.js";

export function hookContrastSection(results: CompareResults): string {
  const contrasts = hookContrasts(results);
  if (contrasts.length === 0) return "";
  const tables = contrasts.map((c) => {
    const head = [
      textTag("th", { class: "left", scope: "col" }, "depth"),
      textTag("th", { class: "left", scope: "col" }, "hook"),
      ...c.measures.map((m) => textTag("th", { title: m.help, scope: "col" }, m.label)),
    ].join("");
    const body = c.cells
      .map((cell) =>
        tag(
          "tr",
          {},
          textTag("th", { class: "left", scope: "row" }, String(cell.depth)),
          textTag("td", { class: "left" }, cell.kind),
          ...c.measures.map((m) => {
            const v = cell.values[m.key]!;
            const both = `${c.family} ${formatMeasure(v.family, m.format)}, ${c.reference} ${formatMeasure(v.reference, m.format)}`;
            return textTag("td", { class: "num", title: both }, formatDelta(v.delta, m.format));
          }),
        ),
      )
      .join("\n");
    return (
      textTag("h3", {}, `${c.family} − ${c.reference}`) +
      tag(
        "div",
        { class: "table-wrap" },
        tag(
          "table",
          { class: "data contrast" },
          tag("thead", {}, tag("tr", {}, head)),
          tag("tbody", {}, body),
        ),
      )
    );
  });
  return tag(
    "section",
    { class: "dataset", id: "hook-contrast" },
    textTag("h2", {}, "Residual stream against sublayer outputs"),
    tag(
      "p",
      { class: "data-line" },
      escapeHtml(
        "Each family's measures minus the reference's, both at the section's matched FVU, depth by depth: " +
          "the residual stream is read by every sublayer through a normalisation, while attention and MLP " +
          "outputs are added to it unnormalised. Percentages differ in percentage points (pp); hover a cell " +
          "for both values.",
      ),
    ),
    ...tables,
  );
}
