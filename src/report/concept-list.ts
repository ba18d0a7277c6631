/** The best-matched concepts of each family's run nearest the target, folded away by default. */
import type { CompareSection } from "../compare/compare-results.js";
import { fixed } from "../util/number-format.js";
import { swatch } from "./family-cell.js";
import { tag, textTag } from "./html.js";
import { type FamilyStyles, styleOf } from "./palette.js";
import { nearestRuns } from "./section-runs.js";

export function conceptList(section: CompareSection, styles: FamilyStyles): string {
  const cards: string[] = [];
  for (const [family, run] of nearestRuns(section, styles)) {
    const al = run.report.alignment;
    if (!al || al.top.length === 0) continue;
    const rows = al.top
      .map((t) =>
        tag(
          "tr",
          { title: `latent ${t.latent}` },
          textTag("td", { class: "left concept" }, t.concept),
          textTag("td", { class: "num" }, fixed(t.f1, 2)),
        ),
      )
      .join("");
    cards.push(
      tag(
        "div",
        { class: "concept-card" },
        tag(
          "h4",
          {},
          swatch(styleOf(styles, family).colour),
          textTag("span", {}, family),
          textTag("span", { class: "spec" }, ` k=${run.k}`),
        ),
        tag(
          "table",
          { class: "concepts" },
          tag("thead", {}, tag("tr", {}, tag("th", { class: "left" }, "concept"), tag("th", {}, "F1"))),
          tag("tbody", {}, rows),
        ),
      ),
    );
  }
  if (cards.length === 0) return "";
  return tag(
    "details",
    { class: "concepts" },
    tag("summary", {}, "Best-matched concepts of each family’s run nearest the target"),
    tag("div", { class: "concept-grid" }, ...cards),
  );
}
