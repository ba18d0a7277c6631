import type { FloatArray, SparseRows } from "../kernels/arrays.js";
import { averageRanks } from "./norm-order.js";

/**
 * Per latent j, the AUROC of the score ‖x‖ for predicting `1[z_j > 0]` over all
 * N tokens: the probability that a random token where j fires has a larger norm
 * than a random token where it does not (ties count one half). 1 means j fires
 * exactly on the largest tokens, 0.5 that firing says nothing about the norm.
 *
 * Mann–Whitney: with average ranks r_t of the norms (ranked once), and P tokens
 * where j fires, U = Σ_{fires} r_t − P(P+1)/2 and AUROC = U / (P (N − P)). So
 * after the O(N log N) ranking each latent costs only its own fires: O(nnz).
 *
 * NaN where the latent fires on fewer than `minFires` tokens (too few to say) or
 * on every token (no negatives). Each latent is assumed at most once per token.
 */
export function latentNormAuroc(
  norms: FloatArray,
  codes: SparseRows,
  m: number,
  minFires = 20,
): Float64Array {
  const n = codes.rows;
  if (norms.length !== n) throw new RangeError(`latentNormAuroc: ${norms.length} norms for ${n} tokens`);
  const ranks = averageRanks(norms);
  const fires = new Float64Array(m);
  const rankSum = new Float64Array(m);
  for (let t = 0; t < n; t++) {
    const r = ranks[t]!;
    for (let i = codes.rowStart[t]!; i < codes.rowStart[t + 1]!; i++) {
      const j = codes.index[i]!;
      if (j < 0 || j >= m) throw new RangeError(`latentNormAuroc: latent ${j} outside [0, ${m})`);
      if (!(codes.value[i]! > 0)) continue;
      fires[j]!++;
      rankSum[j]! += r;
    }
  }
  const auroc = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const p = fires[j]!;
    if (p < minFires || p === 0 || p >= n) {
      auroc[j] = Number.NaN;
      continue;
    }
    auroc[j] = (rankSum[j]! - (p * (p + 1)) / 2) / (p * (n - p));
  }
  return auroc;
}
