/** The plain-text tables `cosae compare` and `cosae eval` print. */
import type { EvalReport } from "../evaluation/evaluate.js";
import { formatMeasure, signed } from "../util/number-format.js";
import type { CompareRun, MatchedRow, MeasureInfo } from "./compare-results.js";
import type { HookContrast } from "./hook-contrast.js";
import { presentMeasures } from "./measures.js";
import { formatTable } from "./text-table.js";

/**
 * The paper's table at one target: one row per family, every measure at the
 * target FVU, the k there, and how far the family's nearest run was from the
 * target (†: the target lies outside the family's runs, so the nearest run stands in).
 */
export function matchedTable(matched: readonly MatchedRow[], measures: readonly MeasureInfo[]): string {
  const shown = presentMeasures(measures, matched);
  const headers = ["family", "k at target", "nearest FVU − target", ...shown.map((m) => m.label)];
  const body = matched.map((r) => [
    r.family,
    `${r.k.toFixed(1)}${r.bracketed ? "" : " †"}`,
    `${r.nearestGap >= 0 ? "+" : ""}${r.nearestGap.toFixed(4)}`,
    ...shown.map((m) => formatMeasure(r.measures[m.key] ?? null, m.format)),
  ]);
  const clamped = matched.some((r) => !r.bracketed);
  return (
    formatTable(headers, body) +
    (clamped
      ? "\n† the target FVU is outside this family's runs: its nearest run is shown, not an interpolation"
      : "")
  );
}

/** One row per SAE with its own measures (no interpolation). */
export function runsTable(runs: readonly CompareRun[]): string {
  return reportTable(runs.map((r) => ({ name: `${r.family} k=${r.k}`, report: r.report })));
}

export function reportTable(rows: readonly { name: string; report: EvalReport }[]): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const synthetic = rows.some((r) => r.report.decoderMatch !== null);
  const spliced = rows.some((r) => r.report.splicedLoss !== null);
  const probing = rows.some((r) => r.report.probing !== null);
  const absorption = rows.some((r) => r.report.absorption !== null);
  // the ends of the k range: what one latent says about a concept, and what twenty do
  const probeAt = (r: EvalReport, k: number) => {
    const i = r.probing?.ks.indexOf(k) ?? -1;
    return i < 0 ? "—" : r.probing!.accuracy[i]!.toFixed(3);
  };
  const headers = [
    "SAE",
    "FVU",
    "L0",
    "dead",
    "α (median [q1, q3])",
    ...(synthetic ? ["MMCS", "recovered"] : []),
    "aligned",
    "norm-corr.",
    "norm det. (slots)",
    "top-1% slots",
    "top-10% slots",
    ...(probing ? ["probe acc. k=1 / 20"] : []),
    ...(absorption ? ["absorption (FN)"] : []),
    ...(spliced ? ["loss added", "loss recovered"] : []),
  ];
  const body = rows.map(({ name, report: r }) => [
    name,
    r.fvu.toFixed(4),
    r.l0.toFixed(2),
    pct(r.deadShare),
    r.alpha === null
      ? "—"
      : r.alpha.count === 1
        ? r.alpha.median.toFixed(3)
        : `${r.alpha.median.toFixed(3)} [${r.alpha.q1.toFixed(2)}, ${r.alpha.q3.toFixed(2)}]`,
    ...(synthetic
      ? [
          r.decoderMatch ? r.decoderMatch.mmcs.toFixed(3) : "—",
          r.decoderMatch ? String(r.decoderMatch.recovered) : "—",
        ]
      : []),
    r.alignment ? pct(r.alignment.alignedShare) : "—",
    String(r.normCorrelated),
    `${r.normDetectors} (${pct(r.normDetectorSlotShare)})`,
    pct(r.slotShare.top1Share),
    pct(r.slotShare.top10Share),
    ...(probing ? [r.probing ? `${probeAt(r, 1)} / ${probeAt(r, 20)}` : "—"] : []),
    ...(absorption
      ? [r.absorption ? `${pct(r.absorption.absorptionRate)} (${pct(r.absorption.falseNegativeRate)})` : "—"]
      : []),
    ...(spliced
      ? [
          r.splicedLoss ? r.splicedLoss.lossAdded.toFixed(4) : "—",
          r.splicedLoss ? pct(r.splicedLoss.fractionRecovered) : "—",
        ]
      : []),
  ]);
  return formatTable(headers, body);
}

/**
 * Depth by depth and hook by hook, a family's matched measures minus the
 * reference's: percentages as percentage points.
 */
export function hookContrastTable(contrast: HookContrast): string {
  const headers = ["depth", "hook", ...contrast.measures.map((m) => m.label)];
  const body = contrast.cells.map((c) => [
    String(c.depth),
    c.kind,
    ...contrast.measures.map((m) => formatDelta(c.values[m.key]?.delta ?? null, m.format)),
  ]);
  return [
    `${contrast.family} − ${contrast.reference} at matched FVU, by depth and hook (pp: percentage points)`,
    formatTable(headers, body),
  ].join("\n");
}

/** A difference of two measures: percentage points for percentages, else signed. */
export function formatDelta(v: number | null, format: MeasureInfo["format"]): string {
  if (format === "percent") return v === null ? "—" : `${signed(100 * v, 1)} pp`;
  return signed(v, format === "count" ? 1 : format === "fixed2" ? 2 : format === "fixed3" ? 3 : 4);
}
