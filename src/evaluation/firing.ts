import type { SparseRows } from "../kernels/arrays.js";

/**
 * How often each latent fires. A latent fires on a token when its code is
 * strictly positive: stored entries with value 0 (a sparsifier may keep them)
 * do not count. Each latent is assumed to appear at most once per token.
 */

/** Number of tokens on which each of the `m` latents is active (value > 0). */
export function fireCounts(codes: SparseRows, m: number): Int32Array {
  const counts = new Int32Array(m);
  const end = codes.rowStart[codes.rows]!;
  for (let i = codes.rowStart[0]!; i < end; i++) {
    const j = codes.index[i]!;
    if (j < 0 || j >= m) throw new RangeError(`fireCounts: latent ${j} outside [0, ${m})`);
    if (codes.value[i]! > 0) counts[j]!++;
  }
  return counts;
}

/** Active latents (value > 0) of one token. */
export function activeCount(codes: SparseRows, t: number): number {
  let n = 0;
  for (let i = codes.rowStart[t]!; i < codes.rowStart[t + 1]!; i++) if (codes.value[i]! > 0) n++;
  return n;
}

/** Mean number of active latents per token (L0); NaN for no tokens. */
export function meanL0(codes: SparseRows): number {
  if (codes.rows === 0) return Number.NaN;
  let active = 0;
  for (let t = 0; t < codes.rows; t++) active += activeCount(codes, t);
  return active / codes.rows;
}

export interface DeadAndDense {
  /** Latents that never fire on the eval set. */
  dead: number;
  /** Latents that fire on more than `denseFraction` of the tokens. */
  dense: number;
  /** `dead / m`. */
  deadShare: number;
  /** `dense / m`. */
  denseShare: number;
}

/**
 * Dead and dense latents from fire counts over `tokens` eval tokens. Dense is
 * strictly more than `denseFraction · tokens` (default 10%).
 */
export function deadAndDense(counts: Int32Array, tokens: number, denseFraction = 0.1): DeadAndDense {
  const denseAbove = denseFraction * tokens;
  let dead = 0;
  let dense = 0;
  for (const c of counts) {
    if (c === 0) dead++;
    else if (c > denseAbove) dense++;
  }
  const m = counts.length;
  return {
    dead,
    dense,
    deadShare: m > 0 ? dead / m : Number.NaN,
    denseShare: m > 0 ? dense / m : Number.NaN,
  };
}
