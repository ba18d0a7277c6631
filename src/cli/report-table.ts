import type { EvalReport } from "../evaluation/evaluate.js";
import { formatTable } from "./table.js";

/** The comparison table: one row per SAE, the measures of DESIGN §4. */
export function reportTable(rows: { name: string; report: EvalReport }[]): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const headers = [
    "score",
    "FVU",
    "L0",
    "dead",
    "α (median [q1, q3])",
    "MMCS",
    "recovered",
    "aligned",
    "norm-corr.",
    "norm det. (slots)",
    "top-1% slots",
    "top-10% slots",
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
    r.decoderMatch ? r.decoderMatch.mmcs.toFixed(3) : "—",
    r.decoderMatch ? String(r.decoderMatch.recovered) : "—",
    r.alignment ? pct(r.alignment.alignedShare) : "—",
    String(r.normCorrelated),
    `${r.normDetectors} (${pct(r.normDetectorSlotShare)})`,
    pct(r.slotShare.top1Share),
    pct(r.slotShare.top10Share),
  ]);
  return formatTable(headers, body);
}
