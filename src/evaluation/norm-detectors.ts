/**
 * Norm-correlated latents fire more on large tokens (AUROC of ‖x‖ ≥ threshold).
 * Some of them still track a real concept; the rest — norm detectors — fire
 * because the token is large, not because of what it says, and are the waste.
 */
export interface NormDetectorReport {
  /** Latents that fire at least once. */
  alive: number;
  /** Latents with AUROC ≥ threshold (NaN AUROC, i.e. too few fires, excluded). */
  normCorrelated: number;
  /** `normCorrelated / alive`. */
  normCorrelatedShare: number;
  /** Share of all active slots (fires) taken by norm-correlated latents. */
  normCorrelatedSlotShare: number;
  /** Norm-correlated latents that are not concept-aligned. */
  normDetectors: number;
  /** `normDetectors / alive`. */
  normDetectorShare: number;
  /** Share of all active slots taken by norm detectors. */
  normDetectorSlotShare: number;
  /** Per latent, 1 when norm-correlated. */
  isNormCorrelated: Uint8Array;
  /** Per latent, 1 when a norm detector. */
  isNormDetector: Uint8Array;
}

/**
 * Classify latents from their norm AUROC, concept-alignment flags and fire
 * counts (all length m). Threshold default 0.9.
 */
export function normDetectors(
  auroc: Float64Array,
  aligned: Uint8Array,
  fireCounts: Int32Array,
  threshold = 0.9,
): NormDetectorReport {
  const m = auroc.length;
  if (aligned.length !== m || fireCounts.length !== m) {
    throw new RangeError(`normDetectors: lengths ${m}, ${aligned.length}, ${fireCounts.length} differ`);
  }
  const isNormCorrelated = new Uint8Array(m);
  const isNormDetector = new Uint8Array(m);
  let alive = 0;
  let totalSlots = 0;
  let correlated = 0;
  let correlatedSlots = 0;
  let detectors = 0;
  let detectorSlots = 0;
  for (let j = 0; j < m; j++) {
    const fires = fireCounts[j]!;
    totalSlots += fires;
    if (fires > 0) alive++;
    // NaN ≥ threshold is false, so latents without an AUROC are never counted.
    if (!(auroc[j]! >= threshold)) continue;
    isNormCorrelated[j] = 1;
    correlated++;
    correlatedSlots += fires;
    if (aligned[j]! !== 0) continue;
    isNormDetector[j] = 1;
    detectors++;
    detectorSlots += fires;
  }
  const ofAlive = (k: number): number => (alive > 0 ? k / alive : Number.NaN);
  const ofSlots = (k: number): number => (totalSlots > 0 ? k / totalSlots : Number.NaN);
  return {
    alive,
    normCorrelated: correlated,
    normCorrelatedShare: ofAlive(correlated),
    normCorrelatedSlotShare: ofSlots(correlatedSlots),
    normDetectors: detectors,
    normDetectorShare: ofAlive(detectors),
    normDetectorSlotShare: ofSlots(detectorSlots),
    isNormCorrelated,
    isNormDetector,
  };
}
