/**
 * The self-contained HTML report of `cosae compare`: inline CSS and SVG, no
 * scripts, nothing fetched. Every string from the results is escaped.
 */
import { type CompareResults, type CompareSection, sectionTargets } from "../compare/compare-results.js";
import { duration, fixed } from "../util/number-format.js";
import { conceptList } from "./concept-list.js";
import { specLine, swatch } from "./family-cell.js";
import { hookContrastSection } from "./hook-contrast-table.js";
import { escapeHtml, tag, textTag } from "./html.js";
import { matchedTable } from "./matched-table.js";
import { type FamilyStyles, familyStyles } from "./palette.js";
import type { Plot } from "./plot.js";
import { alignedSharePlot } from "./plot-aligned-share.js";
import { alphaPlot } from "./plot-alpha.js";
import { alphaStepsPlot } from "./plot-alpha-steps.js";
import { fvuL0Plot } from "./plot-fvu-l0.js";
import { measureFvuCaption, measureFvuPanels } from "./plot-measure-fvu.js";
import { normAurocPlot } from "./plot-norm-auroc.js";
import { normDecilePlot } from "./plot-norm-deciles.js";
import { taskMeasurePlots } from "./plot-task-measures.js";
import { reportCss } from "./report-style.js";
import { runsTable } from "./runs-table.js";

const TITLE = "Cosine-scored SAEs at matched reconstruction";

export function renderCompareReport(results: CompareResults): string {
  const styles = familyStyles(results);
  const body = [
    header(results, styles),
    hookContrastSection(results),
    ...results.sections.map((s, i) => section(results, s, i + 1, styles)),
    tag(
      "footer",
      {},
      `Written by ${escapeHtml(results.createdBy)} from compare-results.json. ` +
        "Self-contained: styles and plots are inline, nothing is fetched. Hover points, bars and column headers for details.",
    ),
  ].join("\n");
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="${escapeHtml(results.createdBy)}">`,
    textTag("title", {}, `${TITLE} — ${results.sections.map((s) => s.title).join(", ")}`),
    `<style>${reportCss}</style>`,
    "</head>",
    "<body>",
    tag("main", {}, body),
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/** A settings value in a line: lists joined, objects as JSON. */
function settingText(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || v === null || v === undefined) return String(v);
  if (Array.isArray(v) && v.every((e) => typeof e !== "object" || e === null))
    return v.map(String).join(", ");
  return JSON.stringify(v);
}

function header(results: CompareResults, styles: FamilyStyles): string {
  const runs = results.sections.reduce((n, s) => n + s.runs.length, 0);
  const settings = Object.entries(results.settings).map(([k, v]) =>
    tag("div", {}, textTag("dt", {}, k), textTag("dd", {}, settingText(v))),
  );
  const families = [...styles.values()].map((st) => {
    const spec = specLine(results.families.find((f) => f.name === st.name));
    return tag(
      "li",
      {},
      swatch(st.colour),
      textTag("span", { class: "family" }, st.name),
      spec ? textTag("span", { class: "spec" }, spec) : "",
    );
  });
  const toc = results.sections.map((s, i) =>
    tag("li", {}, tag("a", { href: `#section-${i + 1}` }, escapeHtml(s.title))),
  );
  return tag(
    "header",
    {},
    textTag("p", { class: "kicker" }, "cosae compare · report"),
    textTag("h1", {}, TITLE),
    tag(
      "p",
      { class: "meta" },
      `Created <b>${escapeHtml(results.createdAt)}</b> by <b>${escapeHtml(results.createdBy)}</b> · ` +
        `${results.sections.length} section${results.sections.length === 1 ? "" : "s"}, ${runs} runs · ` +
        `total time <b>${escapeHtml(duration(results.seconds))}</b>`,
    ),
    settings.length > 0 ? tag("dl", { class: "settings" }, ...settings) : "",
    tag("ul", { class: "families" }, ...families),
    results.sections.length > 1 ? tag("nav", { class: "toc" }, "Sections:", tag("ol", {}, ...toc)) : "",
  );
}

function section(results: CompareResults, s: CompareSection, n: number, styles: FamilyStyles): string {
  const plots: Plot[] = [
    fvuL0Plot(s, styles),
    alphaPlot(s, styles),
    alphaStepsPlot(results, s, styles),
    normDecilePlot(s, styles),
    normAurocPlot(s, styles),
    alignedSharePlot(results, s, styles),
    ...taskMeasurePlots(results, s, styles),
  ];
  let fig = 0;
  // Figures first, so that a note on a missing plot does not leave a hole in the grid.
  const ordered = [...plots.filter((p) => p.kind === "figure"), ...plots.filter((p) => p.kind === "note")];
  const figures = ordered.map((p) => {
    if (p.kind === "note") {
      return tag(
        "figure",
        { class: "note-only" },
        textTag("h4", {}, p.title),
        tag("p", { class: "note" }, p.note),
      );
    }
    fig++;
    return tag(
      "figure",
      {},
      tag("h4", {}, textTag("span", { class: "fig" }, `Figure ${n}.${fig}`), escapeHtml(p.title)),
      p.svg,
      tag("figcaption", {}, p.caption),
    );
  });
  return tag(
    "section",
    { class: "dataset", id: `section-${n}` },
    tag("h2", {}, textTag("span", { class: "num" }, `${n}.`), escapeHtml(s.title)),
    textTag("p", { class: "data-line" }, s.data),
    tag(
      "p",
      { class: "target" },
      `Families matched at ${sectionTargets(s)
        .map((t) => `<b>FVU = ${escapeHtml(fixed(t.targetFvu, 4))}</b> (${escapeHtml(t.targetFrom)})`)
        .join(", ")}`,
    ),
    s.notes.length > 0 ? tag("ul", { class: "notes" }, ...s.notes.map((t) => textTag("li", {}, t))) : "",
    textTag("h3", {}, "Matched reconstruction"),
    matchedTable(results, s, styles),
    measuresAgainstFvu(results, s, styles),
    textTag("h3", {}, "Plots"),
    tag("div", { class: "figures" }, ...figures),
    textTag("h3", {}, "All runs"),
    runsTable(results, s, styles),
    conceptList(s, styles),
  );
}

/** Every measure against FVU, a small panel each, with the families' legend and one caption. */
function measuresAgainstFvu(results: CompareResults, s: CompareSection, styles: FamilyStyles): string {
  const { panels, legend } = measureFvuPanels(results.measures, s, styles);
  if (panels.length === 0) return "";
  return [
    textTag("h3", {}, "Measures against FVU"),
    tag("p", { class: "note" }, measureFvuCaption(s)),
    legend,
    tag(
      "div",
      { class: "small-multiples" },
      ...panels.map((p) =>
        tag(
          "figure",
          { class: "measure-fvu" },
          textTag("h4", { title: p.measure.help }, p.measure.label),
          p.svg,
        ),
      ),
    ),
  ].join("\n");
}
