import type { SparseRows } from "../kernels/arrays.js";
import { fireCounts } from "./firing.js";

/**
 * How well latents match a bank of binary token concepts. Latent j "predicts"
 * concept c on a token when z_j > 0; its F1 is 2·TP / (fires_j + count_c).
 * Token t has concept c iff c is among its concept indices (values ignored).
 */
export interface ConceptAlignment {
  /** Tokens on which each latent fires. */
  latentFires: Int32Array;
  /** Tokens on which each concept is on. */
  conceptCounts: Int32Array;
  /** Per latent, the best F1 over concepts (0 when it never meets a concept). */
  latentBestF1: Float64Array;
  /** Per latent, the concept reaching it (lowest index on ties), −1 when none. */
  latentBestConcept: Int32Array;
  /** Per concept, the best F1 over latents. */
  conceptBestF1: Float64Array;
  /** Per concept, the latent reaching it (lowest index on ties), −1 when none. */
  conceptBestLatent: Int32Array;
  /** How many best concepts per latent `latentTopConcept` / `latentTopF1` keep (the `topPerLatent` argument). */
  topPerLatent: number;
  /**
   * [m × topPerLatent]: latent j's best concepts by F1 (ties: lower index first)
   * at j·topPerLatent…, −1 (F1 0) past the concepts it meets.
   */
  latentTopConcept: Int32Array;
  latentTopF1: Float64Array;
}

/**
 * Best F1 per latent and per concept. The co-occurrence counts TP(j, c) come
 * from the pairs (active latent, concept) of each token — grouped by latent so
 * only one concept-sized scratch row is alive at a time — so the cost is the
 * number of such pairs, never m × nConcepts per token, and no m × nConcepts
 * table is ever stored. With `topPerLatent` > 0 each latent also keeps its
 * best few concepts (the feature browser lists them).
 */
export function conceptAlignment(
  codes: SparseRows,
  m: number,
  concepts: SparseRows,
  nConcepts: number,
  topPerLatent = 0,
): ConceptAlignment {
  if (!(Number.isInteger(topPerLatent) && topPerLatent >= 0)) {
    throw new RangeError(`conceptAlignment: topPerLatent must be an integer ≥ 0, got ${topPerLatent}`);
  }
  const n = codes.rows;
  if (concepts.rows !== n)
    throw new RangeError(`conceptAlignment: ${concepts.rows} concept rows for ${n} tokens`);
  const latentFires = fireCounts(codes, m);
  const conceptCounts = new Int32Array(nConcepts);
  for (let i = concepts.rowStart[0]!; i < concepts.rowStart[n]!; i++) {
    const c = concepts.index[i]!;
    if (c < 0 || c >= nConcepts)
      throw new RangeError(`conceptAlignment: concept ${c} outside [0, ${nConcepts})`);
    conceptCounts[c]!++;
  }

  // Tokens of each latent (transpose of the active codes).
  const latentStart = new Int32Array(m + 1);
  for (let j = 0; j < m; j++) latentStart[j + 1] = latentStart[j]! + latentFires[j]!;
  const fill = latentStart.slice(0, m);
  const latentTokens = new Int32Array(latentStart[m]!);
  for (let t = 0; t < n; t++) {
    for (let i = codes.rowStart[t]!; i < codes.rowStart[t + 1]!; i++) {
      if (codes.value[i]! > 0) latentTokens[fill[codes.index[i]!]!++] = t;
    }
  }

  const latentBestF1 = new Float64Array(m);
  const latentBestConcept = new Int32Array(m).fill(-1);
  const conceptBestF1 = new Float64Array(nConcepts);
  const conceptBestLatent = new Int32Array(nConcepts).fill(-1);
  const top = topPerLatent;
  const latentTopConcept = new Int32Array(m * top).fill(-1);
  const latentTopF1 = new Float64Array(m * top);
  const truePositives = new Int32Array(nConcepts);
  const touched = new Int32Array(nConcepts);
  for (let j = 0; j < m; j++) {
    let nTouched = 0;
    for (let k = latentStart[j]!; k < latentStart[j + 1]!; k++) {
      const t = latentTokens[k]!;
      for (let i = concepts.rowStart[t]!; i < concepts.rowStart[t + 1]!; i++) {
        const c = concepts.index[i]!;
        if (truePositives[c]! === 0) touched[nTouched++] = c;
        truePositives[c]!++;
      }
    }
    const fires = latentFires[j]!;
    for (let k = 0; k < nTouched; k++) {
      const c = touched[k]!;
      const f1 = (2 * truePositives[c]!) / (fires + conceptCounts[c]!);
      truePositives[c] = 0;
      if (top > 0) insertTop(latentTopConcept, latentTopF1, j * top, top, c, f1);
      const best = latentBestF1[j]!;
      if (f1 > best || (f1 === best && c < latentBestConcept[j]!)) {
        latentBestF1[j] = f1;
        latentBestConcept[j] = c;
      }
      // Latents are visited in increasing j, so strict > keeps the lowest on ties.
      if (f1 > conceptBestF1[c]!) {
        conceptBestF1[c] = f1;
        conceptBestLatent[c] = j;
      }
    }
  }
  return {
    latentFires,
    conceptCounts,
    latentBestF1,
    latentBestConcept,
    conceptBestF1,
    conceptBestLatent,
    topPerLatent: top,
    latentTopConcept,
    latentTopF1,
  };
}

/** Inserts (c, f1) into the sorted list at [at, at + size) (F1 descending, then concept ascending) if it ranks. */
function insertTop(
  concept: Int32Array,
  f1s: Float64Array,
  at: number,
  size: number,
  c: number,
  f1: number,
): void {
  const before = (i: number) => {
    const ci = concept[at + i]!;
    return ci >= 0 && (f1s[at + i]! > f1 || (f1s[at + i]! === f1 && ci < c));
  };
  let i = size;
  while (i > 0 && !before(i - 1)) i--;
  if (i === size) return;
  for (let k = size - 1; k > i; k--) {
    concept[at + k] = concept[at + k - 1]!;
    f1s[at + k] = f1s[at + k - 1]!;
  }
  concept[at + i] = c;
  f1s[at + i] = f1;
}

export interface AlignmentSummary {
  /** Latents that fire at least once. */
  alive: number;
  /** Alive latents whose best F1 is ≥ threshold. */
  aligned: number;
  /** `aligned / alive`. */
  alignedShare: number;
  /** Concepts that occur at least once on the eval tokens (the only ones that can be covered). */
  presentConcepts: number;
  /** Concepts with some latent at F1 ≥ threshold. */
  coveredConcepts: number;
  /** `coveredConcepts / presentConcepts`. */
  coveredShare: number;
  /** Per latent, 1 when aligned (feeds the norm-detector measure). */
  alignedFlags: Uint8Array;
}

/** Aligned latents and covered concepts at an F1 threshold (default 0.5). */
export function alignmentSummary(alignment: ConceptAlignment, threshold = 0.5): AlignmentSummary {
  const m = alignment.latentFires.length;
  const alignedFlags = new Uint8Array(m);
  let alive = 0;
  let aligned = 0;
  for (let j = 0; j < m; j++) {
    if (alignment.latentFires[j]! === 0) continue;
    alive++;
    if (alignment.latentBestF1[j]! >= threshold) {
      alignedFlags[j] = 1;
      aligned++;
    }
  }
  let presentConcepts = 0;
  let coveredConcepts = 0;
  for (let c = 0; c < alignment.conceptCounts.length; c++) {
    if (alignment.conceptCounts[c]! === 0) continue;
    presentConcepts++;
    if (alignment.conceptBestF1[c]! >= threshold) coveredConcepts++;
  }
  return {
    alive,
    aligned,
    alignedShare: alive > 0 ? aligned / alive : Number.NaN,
    presentConcepts,
    coveredConcepts,
    coveredShare: presentConcepts > 0 ? coveredConcepts / presentConcepts : Number.NaN,
    alignedFlags,
  };
}
