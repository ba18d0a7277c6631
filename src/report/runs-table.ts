/** Every run of a section with its held-out measures, grouped by family. */
import type { CompareResults, CompareRun, CompareSection } from "../compare/compare-results.js";
import type { AlphaReport } from "../evaluation/alpha-report.js";
import { count, DASH, duration, fixed, percent, signed } from "../util/number-format.js";
import { familyCell } from "./family-cell.js";
import { type Attrs, tag, textTag } from "./html.js";
import type { FamilyStyles } from "./palette.js";
import { nearestRun, runsByFamily } from "./section-runs.js";

interface Column {
  label: string;
  help: string;
  cell: (r: CompareRun) => string;
}

/** α as "0.412" (shared) or "0.12 [0.05, 0.30]" (median [q1, q3] per latent). */
function alphaText(a: AlphaReport | null): string {
  if (a === null) return DASH;
  return a.count === 1 ? fixed(a.median, 3) : `${fixed(a.median, 3)} [${fixed(a.q1, 2)}, ${fixed(a.q3, 2)}]`;
}

function columns(section: CompareSection): Column[] {
  const cols: Column[] = [
    {
      label: "FVU",
      help: "fraction of variance unexplained on held-out tokens",
      cell: (r) => fixed(r.report.fvu, 4),
    },
    { label: "L0", help: "mean active latents per token at inference", cell: (r) => fixed(r.report.l0, 2) },
    {
      label: "dead",
      help: "share of latents that never fire on the eval set",
      cell: (r) => percent(r.report.deadShare),
    },
    {
      label: "α median",
      help: "median α; for per-latent α: median [first quartile, third quartile]",
      cell: (r) => alphaText(r.report.alpha),
    },
    {
      label: "aligned",
      help: "share of alive latents aligned with some concept (best F1 ≥ threshold)",
      cell: (r) => percent(r.report.alignment?.alignedShare),
    },
    {
      label: "norm-corr.",
      help: "latents whose firing the token norm predicts with AUROC ≥ 0.9 (count, share of latents)",
      cell: (r) => `${count(r.report.normCorrelated)} · ${percent(r.report.normCorrelatedShare)}`,
    },
    {
      label: "norm det.",
      help: "norm-correlated latents not aligned with any concept (count, share of active slots)",
      cell: (r) => `${count(r.report.normDetectors)} · ${percent(r.report.normDetectorSlotShare)}`,
    },
    {
      label: "top-1% slots",
      help: "share of all active slots taken by the 1% highest-norm tokens",
      cell: (r) => percent(r.report.slotShare.top1Share),
    },
    {
      label: "top-10% slots",
      help: "share of all active slots taken by the 10% highest-norm tokens",
      cell: (r) => percent(r.report.slotShare.top10Share),
    },
  ];
  if (section.runs.some((r) => r.report.splicedLoss !== null)) {
    cols.push(
      {
        label: "loss added",
        help: "next-token loss with the SAE spliced in, minus the clean loss",
        cell: (r) => signed(r.report.splicedLoss?.lossAdded, 4),
      },
      {
        label: "loss recovered",
        help: "(zero-ablated − spliced) / (zero-ablated − clean): 100% is a perfect splice",
        cell: (r) => percent(r.report.splicedLoss?.fractionRecovered),
      },
    );
  }
  if (section.runs.some((r) => r.report.decoderMatch !== null)) {
    cols.push(
      {
        label: "MMCS",
        help: "mean over true features of the best decoder cosine",
        cell: (r) => fixed(r.report.decoderMatch?.mmcs, 3),
      },
      {
        label: "features rec.",
        help: "true features recovered at decoder cosine ≥ 0.9",
        cell: (r) => count(r.report.decoderMatch?.recovered),
      },
    );
  }
  cols.push({ label: "train", help: "training wall-clock time", cell: (r) => duration(r.trainSeconds) });
  return cols;
}

export function runsTable(results: CompareResults, section: CompareSection, styles: FamilyStyles): string {
  if (section.runs.length === 0) return `<p class="note">No runs in this section.</p>`;
  // A column with nothing in it here (no α, no concept bank) is left out.
  const cols = columns(section).filter((c) => section.runs.some((r) => c.cell(r) !== DASH));
  const head = [
    tag("th", { class: "left", scope: "col" }, "Family"),
    tag("th", { scope: "col", title: "mean active latents per token trained for" }, "k"),
    ...cols.map((c) => textTag("th", { title: c.help, scope: "col" }, c.label)),
  ].join("");
  const rows: string[] = [];
  for (const [family, runs] of runsByFamily(section, styles)) {
    const nearest = nearestRun(runs, section.targetFvu);
    runs.forEach((r, i) => {
      const a: Attrs = {
        class:
          [i === 0 ? "group-start" : "", r === nearest ? "nearest" : ""].filter(Boolean).join(" ") ||
          undefined,
        title: r === nearest ? "the run nearest the target FVU (shown in the plots)" : undefined,
      };
      const first =
        i === 0
          ? tag(
              "th",
              { class: "left", scope: "rowgroup", rowspan: runs.length },
              familyCell(family, styles, results.families),
            )
          : "";
      rows.push(
        tag(
          "tr",
          a,
          first,
          textTag("td", { class: "num" }, String(r.k)),
          ...cols.map((c) => textTag("td", { class: "num" }, c.cell(r))),
        ),
      );
    });
  }
  return (
    tag(
      "div",
      { class: "table-wrap" },
      tag(
        "table",
        { class: "data runs" },
        tag("thead", {}, tag("tr", {}, head)),
        tag("tbody", {}, rows.join("\n")),
      ),
    ) +
    tag(
      "p",
      { class: "footnote" },
      "Shaded: each family's run nearest the target FVU, the one drawn in the per-run plots. " +
        "Hover a column header for its definition.",
    )
  );
}
