/** The paper's table: one row per family, every measure interpolated at each target FVU. */
import { type CompareResults, type CompareSection, sectionTargets } from "../compare/compare-results.js";
import { presentMeasures } from "../compare/measures.js";
import { fixed, formatMeasure, signed } from "../util/number-format.js";
import { familyCell } from "./family-cell.js";
import { escapeHtml, tag, textTag } from "./html.js";
import type { FamilyStyles } from "./palette.js";

/** The mark on a family whose target FVU lies outside its runs. */
export const NOT_BRACKETED = "†";

const K_HELP = "the k at which the family's FVU meets the target, interpolated in log k";
const GAP_HELP = "FVU of the family's run closest to the target, minus the target";

export function matchedTable(results: CompareResults, section: CompareSection, styles: FamilyStyles): string {
  const targets = sectionTargets(section);
  const allRows = targets.flatMap((t) => t.matched);
  if (allRows.length === 0) return `<p class="note">No matched rows in this section.</p>`;
  const measures = presentMeasures(results.measures, allRows);
  const head = [
    tag("th", { class: "left", scope: "col" }, "Family"),
    tag("th", { title: K_HELP, scope: "col" }, "k at target"),
    tag("th", { title: GAP_HELP, scope: "col" }, "nearest FVU − target"),
    ...measures.map((m) => textTag("th", { title: m.help, scope: "col" }, m.label)),
  ].join("");
  // One body per target, headed by it when there are several, so each column reads down across the targets.
  const bodies = targets.map((t) => {
    const heading =
      targets.length > 1
        ? tag(
            "tr",
            { class: "target-head" },
            tag(
              "th",
              { class: "left", scope: "colgroup", colspan: 3 + measures.length },
              `at FVU <b>${escapeHtml(fixed(t.targetFvu, 4))}</b> — ${escapeHtml(t.targetFrom)}`,
            ),
          )
        : "";
    const rows = t.matched.map((row) => {
      const mark = row.bracketed
        ? ""
        : tag(
            "sup",
            { class: "mark", title: "target outside this family's runs: clamped to the nearest run" },
            NOT_BRACKETED,
          );
      const cellsHtml = [
        tag("th", { class: "left", scope: "row" }, familyCell(row.family, styles, results.families, mark)),
        textTag("td", { class: "num" }, fixed(row.k, 1)),
        textTag("td", { class: "num" }, signed(row.nearestGap, 4)),
        ...measures.map((m) => textTag("td", { class: "num" }, formatMeasure(row.measures[m.key], m.format))),
      ].join("");
      return tag("tr", { class: row.bracketed ? undefined : "extrapolated" }, cellsHtml);
    });
    return tag("tbody", {}, [heading, ...rows].filter((r) => r !== "").join("\n"));
  });
  const footnote = allRows.some((r) => !r.bracketed)
    ? tag(
        "p",
        { class: "footnote" },
        `<sup>${NOT_BRACKETED}</sup> The target FVU lies outside this family's runs, so its values are not ` +
          "interpolated but clamped to the nearest run; compare them with care (see “nearest FVU − target”).",
      )
    : "";
  const help = tag(
    "dl",
    { class: "measure-help" },
    ...[
      ["k at target", K_HELP],
      ["nearest FVU − target", GAP_HELP],
      ...measures.map((m) => [m.label, m.help]),
    ].map(([label, text]) => tag("div", {}, textTag("dt", {}, label!), textTag("dd", {}, text!))),
  );
  return (
    tag(
      "div",
      { class: "table-wrap" },
      tag("table", { class: "data matched" }, tag("thead", {}, tag("tr", {}, head)), ...bodies),
    ) +
    footnote +
    help
  );
}
