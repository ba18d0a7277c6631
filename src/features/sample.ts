/** Seeded samples for the feature cache: which contexts and scatter points a latent shows. */
import type { Rng } from "../util/rng.js";

/**
 * `k` distinct integers of [0, n), uniformly, ascending (all of them when
 * k ≥ n). Floyd's algorithm: O(k) draws whatever n is.
 */
export function sampleIndices(rng: Rng, n: number, k: number): number[] {
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  const picked = new Set<number>();
  for (let i = n - k; i < n; i++) {
    const r = rng.int(i + 1);
    picked.add(picked.has(r) ? i : r);
  }
  return [...picked].sort((a, b) => a - b);
}
