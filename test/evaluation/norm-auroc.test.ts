import assert from "node:assert/strict";
import { test } from "node:test";
import { latentNormAuroc } from "../../src/evaluation/norm-auroc.js";
import { Rng } from "../../src/util/rng.js";
import { indicatorRows } from "./sparse-rows.js";

test("latents firing on the largest or smallest tokens", () => {
  // 6 tokens, norms shuffled. Latent 0 fires on the 3 largest (norms 4,5,6):
  // every positive beats every negative → 1. Latent 1 on the 3 smallest → 0.
  // Latent 2 fires on all tokens → no negatives → NaN. Latent 3 fires once,
  // below minFires = 2 → NaN.
  const norms = Float64Array.of(5, 1, 6, 3, 2, 4);
  const codes = indicatorRows([
    [0, 2],
    [1, 2],
    [0, 2, 3],
    [1, 2],
    [1, 2],
    [0, 2],
  ]);
  const auroc = latentNormAuroc(norms, codes, 4, 2);
  assert.equal(auroc[0], 1);
  assert.equal(auroc[1], 0);
  assert.ok(Number.isNaN(auroc[2]!));
  assert.ok(Number.isNaN(auroc[3]!));
});

test("ties in norm count one half", () => {
  // All norms equal: every pair is a tie → 0.5.
  const same = latentNormAuroc(Float64Array.of(2, 2, 2, 2), indicatorRows([[0], [], [0], []]), 1, 1);
  assert.equal(same[0], 0.5);
  // Norms 1, 2, 2, 3; the latent fires on token 1 (norm 2) and token 3 (norm 3).
  // Pairs (pos, neg): (2,1)=1, (2,2)=½, (3,1)=1, (3,2)=1 → 3.5/4 = 0.875.
  const tied = latentNormAuroc(Float64Array.of(1, 2, 2, 3), indicatorRows([[], [0], [], [0]]), 1, 1);
  assert.equal(tied[0], 0.875);
});

test("default minFires is 20", () => {
  // 40 tokens; latent 0 fires on the top 20, latent 1 on the top 19.
  const n = 40;
  const norms = Float64Array.from({ length: n }, (_, t) => t);
  const sets = Array.from({ length: n }, (_, t) => [...(t >= 20 ? [0] : []), ...(t >= 21 ? [1] : [])]);
  const auroc = latentNormAuroc(norms, indicatorRows(sets), 2);
  assert.equal(auroc[0], 1);
  assert.ok(Number.isNaN(auroc[1]!));
});

/** AUROC by counting every (positive, negative) pair. */
function bruteForceAuroc(norms: Float64Array, positive: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  for (let a = 0; a < norms.length; a++) {
    if (!positive[a]) continue;
    for (let b = 0; b < norms.length; b++) {
      if (positive[b]) continue;
      pairs++;
      if (norms[a]! > norms[b]!) wins += 1;
      else if (norms[a] === norms[b]) wins += 0.5;
    }
  }
  return wins / pairs;
}

test("rank AUROC equals the brute-force pairwise count on random data", () => {
  const rng = new Rng(1234, 7);
  const n = 300;
  const m = 12;
  // Integer norms in [0, 40) give many ties; latent j fires with a probability
  // that depends on the norm more strongly for larger j.
  const norms = Float64Array.from({ length: n }, () => rng.int(40));
  const sets: number[][] = [];
  for (let t = 0; t < n; t++) {
    const row: number[] = [];
    for (let j = 0; j < m; j++) {
      const p = 0.1 + (0.8 * j * norms[t]!) / (40 * m);
      if (rng.uniform() < p) row.push(j);
    }
    sets.push(row);
  }
  const auroc = latentNormAuroc(norms, indicatorRows(sets), m, 1);
  let checked = 0;
  for (let j = 0; j < m; j++) {
    const positive = sets.map((row) => row.includes(j));
    const expected = bruteForceAuroc(norms, positive);
    assert.ok(Math.abs(auroc[j]! - expected) < 1e-12, `latent ${j}: ${auroc[j]} vs ${expected}`);
    checked++;
  }
  assert.equal(checked, m);
  // The strongest latent must really be norm-dependent, else the check is weak.
  assert.ok(auroc[m - 1]! > 0.6);
});
