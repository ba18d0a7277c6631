import type { FloatArray, SparseRows } from "../kernels/arrays.js";
import type { Kernels } from "../kernels/kernels.js";
import { reconstruct } from "../model/forward.js";
import type { Sae } from "../model/sae.js";
import { type AlphaReport, alphaReport } from "./alpha-report.js";
import { alignmentSummary, conceptAlignment } from "./concept-alignment.js";
import { decoderMatch } from "./decoder-match.js";
import { deadAndDense, fireCounts, meanL0 } from "./firing.js";
import { fractionOfVarianceUnexplained } from "./fvu.js";
import { latentNormAuroc } from "./norm-auroc.js";
import { normDetectors } from "./norm-detectors.js";
import { type SlotShareByNorm, slotShareByNorm } from "./slot-share.js";

/** Held-out tokens, with what is known about them. */
export interface EvalSet {
  /** raw activations [rows, d] */
  x: Float32Array;
  rows: number;
  /** binary token concepts: token t has concept c iff c is among row t's indices */
  concepts?: { labels: SparseRows; count: number };
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
}

export const defaultEvalOptions: EvalOptions = {
  chunkRows: 4096,
  normAurocThreshold: 0.9,
  alignmentF1Threshold: 0.5,
  minFires: 20,
  recoveredCosine: 0.9,
};

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
  alignment: { alignedShare: number; coveredShare: number; aligned: number } | null;
  decoderMatch: { mmcs: number; recovered: number } | null;
}

export async function evaluateSae(
  sae: Sae,
  set: EvalSet,
  kernels: Kernels,
  options: EvalOptions = defaultEvalOptions,
): Promise<EvalReport> {
  const { d, m } = sae.config;
  const { codes, reconstruction } = await encodeInChunks(sae, set.x, set.rows, kernels, options.chunkRows);
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
  if (set.concepts) {
    const summary = alignmentSummary(
      conceptAlignment(codes, m, set.concepts.labels, set.concepts.count),
      options.alignmentF1Threshold,
    );
    aligned = summary.alignedFlags;
    alignment = {
      alignedShare: summary.alignedShare,
      coveredShare: summary.coveredShare,
      aligned: summary.aligned,
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

  return {
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
  };
}

/** Inference codes and raw-unit reconstructions of all rows, a chunk at a time. */
export async function encodeInChunks(
  sae: Sae,
  x: Float32Array,
  rows: number,
  kernels: Kernels,
  chunkRows: number,
): Promise<{ codes: SparseRows; reconstruction: Float32Array }> {
  const { d } = sae.config;
  const reconstruction = new Float32Array(rows * d);
  const parts: SparseRows[] = [];
  for (let start = 0; start < rows; start += chunkRows) {
    const n = Math.min(chunkRows, rows - start);
    const r = await reconstruct(sae, x.subarray(start * d, (start + n) * d), n, kernels);
    reconstruction.set(r.reconstruction, start * d);
    parts.push(r.codes);
  }
  return { codes: concatRows(parts, rows), reconstruction };
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
