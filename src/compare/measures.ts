/**
 * The measures of the matched table: how to read each from an EvalReport, and
 * how to show it. `null` where a run has no such figure (no α, no ground truth,
 * no model for the spliced loss).
 */
import type { EvalReport } from "../evaluation/evaluate.js";
import type { MatchedRow, MeasureInfo } from "./compare-results.js";

interface Measure extends MeasureInfo {
  read(report: EvalReport): number | null;
}

const measureList: Measure[] = [
  {
    key: "l0",
    label: "L0",
    format: "fixed2",
    help: "mean active latents per token at inference",
    read: (r) => r.l0,
  },
  {
    key: "deadShare",
    label: "dead",
    format: "percent",
    help: "latents that never fire on the held-out tokens",
    read: (r) => r.deadShare,
  },
  {
    key: "alphaMedian",
    label: "α",
    format: "fixed3",
    help: "learned α (median over latents for blend-feature)",
    read: (r) => r.alpha?.median ?? null,
  },
  {
    key: "alphaShareAbove",
    label: "α > 0.5",
    format: "percent",
    help: "share of latents with α above 0.5",
    read: (r) => (r.alpha && r.alpha.count > 1 ? r.alpha.shareAbove : null),
  },
  {
    key: "mmcs",
    label: "MMCS",
    format: "fixed3",
    help: "mean over true features of the best decoder cosine (synthetic)",
    read: (r) => r.decoderMatch?.mmcs ?? null,
  },
  {
    key: "recovered",
    label: "recovered",
    format: "count",
    help: "true features with a decoder cosine ≥ 0.9 (synthetic)",
    read: (r) => r.decoderMatch?.recovered ?? null,
  },
  {
    key: "alignedShare",
    label: "aligned",
    format: "percent",
    help: "alive latents whose best concept F1 is ≥ 0.5",
    read: (r) => r.alignment?.alignedShare ?? null,
  },
  {
    key: "coveredShare",
    label: "concepts covered",
    format: "percent",
    help: "concepts with at least one aligned latent",
    read: (r) => r.alignment?.coveredShare ?? null,
  },
  {
    key: "normCorrelatedShare",
    label: "norm-corr.",
    format: "percent",
    help: "alive latents whose firing has norm AUROC ≥ 0.9",
    read: (r) => r.normCorrelatedShare,
  },
  {
    key: "normDetectorShare",
    label: "norm det.",
    format: "percent",
    help: "alive latents that are norm-correlated and not aligned",
    read: (r) => r.normDetectorShare,
  },
  {
    key: "normDetectorSlotShare",
    label: "norm det. slots",
    format: "percent",
    help: "share of active slots taken by norm detectors",
    read: (r) => r.normDetectorSlotShare,
  },
  {
    key: "top1Share",
    label: "top-1% slots",
    format: "percent",
    help: "share of active slots taken by the 1% highest-norm tokens",
    read: (r) => r.slotShare.top1Share,
  },
  {
    key: "top10Share",
    label: "top-10% slots",
    format: "percent",
    help: "share of active slots taken by the 10% highest-norm tokens",
    read: (r) => r.slotShare.top10Share,
  },
  ...probeAccuracyMeasures(),
  {
    key: "probeF1_1",
    label: "probe F1 k=1",
    format: "fixed3",
    help: "mean held-out F1 of the 1-sparse probes (DESIGN §4)",
    read: (r) => probingAt(r, "f1", 1),
  },
  {
    key: "absorptionRate",
    label: "absorption",
    format: "percent",
    help: "first-letter tokens where the letter's latents stay silent and another latent carries the probe direction (mean over letters)",
    read: (r) => r.absorption?.absorptionRate ?? null,
  },
  {
    key: "absorptionFalseNegativeRate",
    label: "letter FN",
    format: "percent",
    help: "first-letter tokens the raw probe finds where none of the letter's latents fires (mean over letters)",
    read: (r) => r.absorption?.falseNegativeRate ?? null,
  },
  {
    key: "lossAdded",
    label: "loss added",
    format: "fixed4",
    help: "next-token loss with the reconstruction spliced in, minus the clean loss (nats)",
    read: (r) => r.splicedLoss?.lossAdded ?? null,
  },
  {
    key: "fractionRecovered",
    label: "loss recovered",
    format: "percent",
    help: "(L_zero − L_spliced) / (L_zero − L_clean)",
    read: (r) => r.splicedLoss?.fractionRecovered ?? null,
  },
];

/** A k-sparse probing figure at k, or null where k was not probed. */
function probingAt(r: EvalReport, what: "accuracy" | "f1", k: number): number | null {
  const i = r.probing?.ks.indexOf(k) ?? -1;
  return i < 0 ? null : (r.probing![what][i] ?? null);
}

/**
 * Mean held-out accuracy of the k-sparse probes at each k of DESIGN §4; the
 * report plots them all against k, the tables show the ends (k = 1 and 20).
 */
function probeAccuracyMeasures(): Measure[] {
  return [1, 2, 5, 20].map((k) => ({
    key: `probeAccuracy${k}`,
    label: `probe acc. k=${k}`,
    format: "fixed3",
    help: `mean held-out accuracy of logistic probes on the ${k} latents that best separate each concept task (DESIGN §4)`,
    ...(k === 1 || k === 20 ? {} : { table: false }),
    read: (r: EvalReport) => probingAt(r, "accuracy", k),
  }));
}

/** The measures shown, without their readers (for the JSON and the report). */
export const measureInfo: MeasureInfo[] = measureList.map(({ read: _read, ...info }) => info);

/** Every measure of a report by key. */
export function readMeasures(report: EvalReport): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const m of measureList) {
    const v = m.read(report);
    out[m.key] = v === null || Number.isNaN(v) ? null : v;
  }
  return out;
}

/**
 * The table columns: the measures some matched row has a value for (no MMCS on
 * real text, no spliced loss without a model), less those kept for the plots.
 */
export function presentMeasures(
  measures: readonly MeasureInfo[],
  rows: readonly Pick<MatchedRow, "measures">[],
): MeasureInfo[] {
  return measures.filter(
    (m) => m.table !== false && rows.some((r) => Number.isFinite(r.measures[m.key] ?? Number.NaN)),
  );
}
