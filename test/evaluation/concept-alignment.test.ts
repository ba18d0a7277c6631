import assert from "node:assert/strict";
import { test } from "node:test";
import { alignmentSummary, conceptAlignment } from "../../src/evaluation/concept-alignment.js";
import { Rng } from "../../src/util/rng.js";
import { indicatorRows, sparseRows } from "./sparse-rows.js";

// 6 tokens, 3 latents, 3 concepts. Concept 0 on tokens {0,1,2}, concept 1 on {3},
// concept 2 never occurs.
// Latent 0 fires on {0,1,2}: F1 with concept 0 = 2·3/(3+3) = 1.
// Latent 1 fires on {2,3} (its stored 0 on token 0 is not a fire):
//   concept 0: TP 1 → 2/(2+3) = 0.4; concept 1: TP 1 → 2/(2+1) = 2/3. Best: concept 1.
//   (Counting the stored 0 would give fires {0,2,3}: 2·2/6 = 2/3 and 2/4 → best concept 0.)
// Latent 2 never fires.
// Concept bests: concept 0 → 1 (latent 0), concept 1 → 2/3 (latent 1), concept 2 → 0.
const codes = sparseRows([
  [
    [0, 1],
    [1, 0],
  ],
  [[0, 2]],
  [
    [0, 1],
    [1, 1],
  ],
  [[1, 3]],
  [],
  [],
]);
const concepts = indicatorRows([[0], [0], [0], [1], [], []]);

test("best F1 per latent and per concept", () => {
  const a = conceptAlignment(codes, 3, concepts, 3);
  assert.deepEqual([...a.latentFires], [3, 2, 0]);
  assert.deepEqual([...a.conceptCounts], [3, 1, 0]);
  assert.deepEqual([...a.latentBestF1], [1, 2 / 3, 0]);
  assert.deepEqual([...a.latentBestConcept], [0, 1, -1]);
  assert.deepEqual([...a.conceptBestF1], [1, 2 / 3, 0]);
  assert.deepEqual([...a.conceptBestLatent], [0, 1, -1]);
});

test("each latent's best few concepts, best first, -1 past those it meets", () => {
  const a = conceptAlignment(codes, 3, concepts, 3, 2);
  assert.equal(a.topPerLatent, 2);
  // latent 0: concept 0 (F1 1) only; latent 1: concept 1 (2/3), then concept 0 (0.4); latent 2: none.
  assert.deepEqual([...a.latentTopConcept], [0, -1, 1, 0, -1, -1]);
  assert.deepEqual([...a.latentTopF1], [1, 0, 2 / 3, 0.4, 0, 0]);
  const one = conceptAlignment(codes, 3, concepts, 3, 1);
  assert.deepEqual([...one.latentTopConcept], [...one.latentBestConcept]);
  assert.equal(conceptAlignment(codes, 3, concepts, 3).latentTopConcept.length, 0);
});

test("alignment summary at two thresholds", () => {
  const a = conceptAlignment(codes, 3, concepts, 3);
  // Threshold 0.5: both alive latents aligned; both present concepts covered.
  const loose = alignmentSummary(a);
  assert.equal(loose.alive, 2);
  assert.equal(loose.aligned, 2);
  assert.equal(loose.alignedShare, 1);
  assert.equal(loose.presentConcepts, 2);
  assert.equal(loose.coveredConcepts, 2);
  assert.equal(loose.coveredShare, 1);
  assert.deepEqual([...loose.alignedFlags], [1, 1, 0]);
  // Threshold 0.7: only latent 0 (F1 1) is aligned, only concept 0 covered.
  const strict = alignmentSummary(a, 0.7);
  assert.equal(strict.aligned, 1);
  assert.equal(strict.alignedShare, 0.5);
  assert.equal(strict.coveredConcepts, 1);
  assert.equal(strict.coveredShare, 0.5);
  assert.deepEqual([...strict.alignedFlags], [1, 0, 0]);
});

test("sparse co-occurrence equals a dense brute force on random data", () => {
  const rng = new Rng(99, 3);
  const n = 200;
  const m = 15;
  const nConcepts = 8;
  const latentSets: number[][] = [];
  const conceptSets: number[][] = [];
  for (let t = 0; t < n; t++) {
    const concept: number[] = [];
    for (let c = 0; c < nConcepts; c++) if (rng.uniform() < 0.2) concept.push(c);
    // Latent j follows concept j mod 8 with noise, so F1 values spread out.
    const latent: number[] = [];
    for (let j = 0; j < m; j++) {
      const on = concept.includes(j % nConcepts) ? rng.uniform() < 0.8 : rng.uniform() < 0.05 * (j % 4);
      if (on) latent.push(j);
    }
    latentSets.push(latent);
    conceptSets.push(concept);
  }
  const top = 3;
  const a = conceptAlignment(indicatorRows(latentSets), m, indicatorRows(conceptSets), nConcepts, top);
  const f1 = (j: number, c: number): number => {
    let tp = 0;
    let pred = 0;
    let actual = 0;
    for (let t = 0; t < n; t++) {
      const p = latentSets[t]!.includes(j);
      const y = conceptSets[t]!.includes(c);
      if (p) pred++;
      if (y) actual++;
      if (p && y) tp++;
    }
    return pred + actual > 0 ? (2 * tp) / (pred + actual) : 0;
  };
  for (let j = 0; j < m; j++) {
    let best = 0;
    for (let c = 0; c < nConcepts; c++) best = Math.max(best, f1(j, c));
    assert.ok(Math.abs(a.latentBestF1[j]! - best) < 1e-15, `latent ${j}`);
    assert.ok(Math.abs(f1(j, a.latentBestConcept[j]!) - best) < 1e-15);
    // Its best `top` concepts with F1 > 0: by F1 descending, ties by lower index.
    const ranked = Array.from({ length: nConcepts }, (_, c) => c)
      .filter((c) => f1(j, c) > 0)
      .sort((x, y) => f1(j, y) - f1(j, x) || x - y)
      .slice(0, top);
    while (ranked.length < top) ranked.push(-1);
    assert.deepEqual([...a.latentTopConcept.subarray(j * top, (j + 1) * top)], ranked, `latent ${j}`);
    ranked.forEach((c, i) => {
      assert.ok(Math.abs(a.latentTopF1[j * top + i]! - (c >= 0 ? f1(j, c) : 0)) < 1e-15);
    });
  }
  for (let c = 0; c < nConcepts; c++) {
    let best = 0;
    for (let j = 0; j < m; j++) best = Math.max(best, f1(j, c));
    assert.ok(Math.abs(a.conceptBestF1[c]! - best) < 1e-15, `concept ${c}`);
  }
});
