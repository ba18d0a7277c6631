import type { FloatArray, SparseRows } from "../kernels/arrays.js";
import type { Kernels } from "../kernels/kernels.js";
import { reconstruct } from "../model/forward.js";
import type { Sae } from "../model/sae.js";
import { type AlphaReport, alphaReport } from "./alpha-report.js";
import { alignmentSummary, type ConceptAlignment, conceptAlignment } from "./concept-alignment.js";
import { decoderMatch } from "./decoder-match.js";
import { type AbsorptionReport, featureAbsorption } from "./feature-absorption.js";
import { deadAndDense, fireCounts, meanL0 } from "./firing.js";
import { type AbsorptionOptions, defaultAbsorptionOptions } from "./first-letter-probes.js";
import { fractionOfVarianceUnexplained } from "./fvu.js";
import { latentNormAuroc } from "./norm-auroc.js";
import { normDetectors } from "./norm-detectors.js";
import { defaultProbingOptions, type ProbingOptions } from "./probe-tasks.js";
import { type SlotShareByNorm, slotShareByNorm } from "./slot-share.js";
import { type ProbingReport, sparseProbing } from "./sparse-probing.js";

/** Held-out tokens, with what is known about them. */
export interface EvalSet {
  /** raw activations [rows, d] */
  x: Float32Array;
  rows: number;
  /** binary token concepts: token t has concept c iff c is among row t's indices */
  concepts?: {
    labels: SparseRows;
    count: number;
    names?: readonly string[];
    /** per concept, its group ("class", "word" …); k-sparse probing reports by group */
    groups?: readonly string[];
  };
  /** each token's display text (feature absorption's first letters); absent on synthetic data */
  tokenText?: readonly string[];
  /** ground-truth unit directions [count, d] (synthetic data) */
  trueFeatures?: { rows: FloatArray; count: number };
}

export interface EvalOptions {
  /** tokens encoded per chunk (bounds the score matrix) */
  chunkRows: number;
  normAurocThreshold: number;
  alignmentF1Threshold: number;
  minFires: number;
  recoveredCosine: number;
  /** k-sparse probing on the concept tasks; null skips it */
  probing: ProbingOptions | null;
  /** first-letter feature absorption; null skips it */
  absorption: AbsorptionOptions | null;
}

export const defaultEvalOptions: EvalOptions = {
  chunkRows: 4096,
  normAurocThreshold: 0.9,
  alignmentF1Threshold: 0.5,
  minFires: 20,
  recoveredCosine: 0.9,
  probing: defaultProbingOptions,
  absorption: defaultAbsorptionOptions,
};

/** Counts of values in equal bins over [lo, hi] (the last bin includes hi). */
export interface Histogram {
  lo: number;
  hi: number;
  counts: number[];
}

/** The model's next-token loss with the hook's value replaced (DESIGN §4, spliced loss). */
export interface SplicedLoss {
  hook: string;
  /** predicted tokens the losses are means over */
  tokens: number;
  clean: number;
  spliced: number;
  zeroAblated: number;
  /** spliced − clean */
  lossAdded: number;
  /** (zeroAblated − spliced) / (zeroAblated − clean): 1 is a perfect splice, 0 no better than zeros */
  fractionRecovered: number;
}

/** Every measure of DESIGN §4 on one SAE. */
export interface EvalReport {
  tokens: number;
  fvu: number;
  l0: number;
  dead: number;
  deadShare: number;
  dense: number;
  denseShare: number;
  alpha: AlphaReport | null;
  slotShare: SlotShareByNorm;
  normCorrelated: number;
  normCorrelatedShare: number;
  normDetectors: number;
  normDetectorShare: number;
  normDetectorSlotShare: number;
  /** share of alive latents aligned with some concept, and share of concepts covered */
  alignment: {
    alignedShare: number;
    coveredShare: number;
    aligned: number;
    concepts: number;
    /** the best-matched concepts (named when the bank has names), best F1 first */
    top: { concept: string; f1: number; latent: number }[];
  } | null;
  decoderMatch: { mmcs: number; recovered: number } | null;
  /** k-sparse probing (with the raw-activation ceiling); null without concept tasks */
  probing: ProbingReport | null;
  /** first-letter absorption; null without token text (synthetic data) or letters with enough tokens */
  absorption: AbsorptionReport | null;
  /** per-latent α in 20 bins over [0, 1] (blend-feature), null without a learned α */
  alphaHistogram: Histogram | null;
  /** norm AUROC of the latents firing on ≥ minFires tokens, 20 bins over [0, 1] */
  normAurocHistogram: Histogram;
  /** set by the caller when a model is available (see spliced-loss.ts) */
  splicedLoss: SplicedLoss | null;
}

export async function evaluateSae(
  sae: Sae,
  set: EvalSet,
  kernels: Kernels,
  options: EvalOptions = defaultEvalOptions,
): Promise<EvalReport> {
  const encoded = await encodeInChunks(sae, set.x, set.rows, kernels, options.chunkRows);
  return measureEncoded(sae, set, encoded, options).report;
}

/** The report, with the per-latent arrays behind it (the feature cache shows them latent by latent). */
export interface EvalDetails {
  report: EvalReport;
  /** ‖x_t‖ in raw units, per token */
  norms: Float64Array;
  /** tokens each latent fires on */
  fireCounts: Int32Array;
  /** per latent, NaN below `minFires` fires */
  normAuroc: Float64Array;
  /** null without concepts */
  alignment: ConceptAlignment | null;
  /** per latent, 1 for a norm detector */
  isNormDetector: Uint8Array;
}

/**
 * Every measure of `evaluateSae` from codes and reconstructions already
 * computed (encodeInChunks), so a caller that needs the codes too encodes once.
 * `conceptsPerLatent` > 0 also keeps each latent's best concepts (ConceptAlignment).
 * Feature absorption needs `encoded.norm` (encodeInChunks gives it); without it, it is null.
 */
export function measureEncoded(
  sae: Sae,
  set: EvalSet,
  encoded: { codes: SparseRows; reconstruction: FloatArray; norm?: Float64Array },
  options: EvalOptions = defaultEvalOptions,
  conceptsPerLatent = 0,
): EvalDetails {
  const { d, m } = sae.config;
  const { codes, reconstruction } = encoded;
  const norms = new Float64Array(set.rows);
  for (let t = 0; t < set.rows; t++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += set.x[t * d + c]! ** 2;
    norms[t] = Math.sqrt(s);
  }
  const counts = fireCounts(codes, m);
  const firing = deadAndDense(counts, set.rows);
  const auroc = latentNormAuroc(norms, codes, m, options.minFires);

  let aligned: Uint8Array = new Uint8Array(m);
  let alignment: EvalReport["alignment"] = null;
  let matches: ConceptAlignment | null = null;
  if (set.concepts) {
    matches = conceptAlignment(codes, m, set.concepts.labels, set.concepts.count, conceptsPerLatent);
    const summary = alignmentSummary(matches, options.alignmentF1Threshold);
    aligned = summary.alignedFlags;
    alignment = {
      alignedShare: summary.alignedShare,
      coveredShare: summary.coveredShare,
      aligned: summary.aligned,
      concepts: set.concepts.count,
      top: topConcepts(matches.conceptBestF1, matches.conceptBestLatent, set.concepts.names, 10),
    };
  }
  const detectors = normDetectors(auroc, aligned, counts, options.normAurocThreshold);
  const match = set.trueFeatures
    ? decoderMatch(
        sae.params.decoder,
        set.trueFeatures.rows,
        m,
        set.trueFeatures.count,
        d,
        options.recoveredCosine,
      )
    : null;

  const report: EvalReport = {
    tokens: set.rows,
    fvu: fractionOfVarianceUnexplained(set.x, reconstruction, set.rows, d),
    l0: meanL0(codes),
    dead: firing.dead,
    deadShare: firing.deadShare,
    dense: firing.dense,
    denseShare: firing.denseShare,
    alpha: sae.params.alpha.length > 0 ? alphaReport(sae.params.alpha) : null,
    slotShare: slotShareByNorm(norms, codes),
    normCorrelated: detectors.normCorrelated,
    normCorrelatedShare: detectors.normCorrelatedShare,
    normDetectors: detectors.normDetectors,
    normDetectorShare: detectors.normDetectorShare,
    normDetectorSlotShare: detectors.normDetectorSlotShare,
    alignment,
    decoderMatch: match ? { mmcs: match.mmcs, recovered: match.recovered } : null,
    probing: options.probing ? sparseProbing(codes, m, set, options.probing) : null,
    absorption:
      options.absorption && encoded.norm
        ? featureAbsorption(sae, codes, encoded.norm, set, options.absorption)
        : null,
    alphaHistogram: sae.params.alpha.length > 1 ? histogram(sae.params.alpha, 0, 1, 20) : null,
    normAurocHistogram: histogram(auroc, 0, 1, 20),
    splicedLoss: null,
  };
  return {
    report,
    norms,
    fireCounts: counts,
    normAuroc: auroc,
    alignment: matches,
    isNormDetector: detectors.isNormDetector,
  };
}

/** Counts of the finite values in `bins` equal bins over [lo, hi]; values outside are clamped into the end bins. */
export function histogram(values: ArrayLike<number>, lo: number, hi: number, bins: number): Histogram {
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const b = Math.floor(((v - lo) / (hi - lo)) * bins);
    counts[Math.min(bins - 1, Math.max(0, b))]!++;
  }
  return { lo, hi, counts };
}

/** The `count` concepts with the best F1 (ties: lower index first). */
function topConcepts(
  bestF1: Float64Array,
  bestLatent: Int32Array,
  names: readonly string[] | undefined,
  count: number,
): { concept: string; f1: number; latent: number }[] {
  const order = Array.from(bestF1.keys()).sort((a, b) => bestF1[b]! - bestF1[a]! || a - b);
  return order.slice(0, count).map((c) => ({
    concept: names?.[c] ?? `concept ${c}`,
    f1: bestF1[c]!,
    latent: bestLatent[c]!,
  }));
}

/**
 * Inference codes and raw-unit reconstructions of all rows, a chunk at a time,
 * with the per-token norm the decoder scale read (feature absorption needs it).
 */
export async function encodeInChunks(
  sae: Sae,
  x: Float32Array,
  rows: number,
  kernels: Kernels,
  chunkRows: number,
  onChunk?: (rowsDone: number, rows: number) => void,
): Promise<{ codes: SparseRows; reconstruction: Float32Array; norm: Float64Array }> {
  const { d } = sae.config;
  const reconstruction = new Float32Array(rows * d);
  const norm = new Float64Array(rows);
  const parts: SparseRows[] = [];
  for (let start = 0; start < rows; start += chunkRows) {
    const n = Math.min(chunkRows, rows - start);
    const r = await reconstruct(sae, x.subarray(start * d, (start + n) * d), n, kernels);
    reconstruction.set(r.reconstruction, start * d);
    norm.set(r.norm, start);
    parts.push(r.codes);
    onChunk?.(start + n, rows);
  }
  return { codes: concatRows(parts, rows), reconstruction, norm };
}

function concatRows(parts: SparseRows[], rows: number): SparseRows {
  const total = parts.reduce((s, p) => s + p.rowStart[p.rows]!, 0);
  const rowStart = new Int32Array(rows + 1);
  const index = new Int32Array(total);
  const value = new Float32Array(total);
  let row = 0;
  let at = 0;
  for (const p of parts) {
    for (let t = 0; t < p.rows; t++) rowStart[row + t + 1] = at + p.rowStart[t + 1]!;
    index.set(p.index, at);
    value.set(p.value, at);
    row += p.rows;
    at += p.rowStart[p.rows]!;
  }
  return { rows, rowStart, index, value };
}
