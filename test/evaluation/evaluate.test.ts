import assert from "node:assert/strict";
import test from "node:test";
import { evaluateSae } from "../../src/evaluation/evaluate.js";
import { chooseKernels } from "../../src/kernels/choose-kernels.js";
import { identitySae } from "../helpers/identity-sae.js";

/**
 * 200 tokens in d = 2: x₀ = ±1 alternating (the concept "x₀ > 0" is the odd
 * tokens), x₁ = 10 on the last 30 tokens (the largest) and 0 elsewhere.
 * The identity SAE's latents are +e₀, +e₁, −e₀, −e₁ (indices 0, 1, 2, 3).
 */
test("evaluateSae on a hand-made case: a concept detector, a norm detector, an exact reconstruction", async () => {
  const rows = 200;
  const x = new Float32Array(rows * 2);
  const conceptRows: number[] = [];
  for (let t = 0; t < rows; t++) {
    x[2 * t] = t % 2 ? 1 : -1;
    x[2 * t + 1] = t >= 170 ? 10 : 0;
    if (t % 2) conceptRows.push(t);
  }
  const rowStart = new Int32Array(rows + 1);
  for (let t = 0; t < rows; t++) rowStart[t + 1] = rowStart[t]! + (t % 2);
  const labels = {
    rows,
    rowStart,
    index: new Int32Array(conceptRows.length),
    value: new Float32Array(conceptRows.length).fill(1),
  };
  const kernels = await chooseKernels(1);
  try {
    const r = await evaluateSae(
      identitySae(2),
      { x, rows, concepts: { labels, count: 1, names: ["x0 > 0"] } },
      kernels,
    );
    assert.ok(r.fvu < 1e-12, `exact reconstruction, FVU ${r.fvu}`);
    assert.equal(r.l0, (170 + 2 * 30) / 200);
    assert.equal(r.dead, 1, "−e₁ never fires");
    // +e₀ is the concept's indicator: F1 = 1, and it is the concept's best latent
    assert.deepEqual(r.alignment!.top, [{ concept: "x0 > 0", f1: 1, latent: 0 }]);
    assert.equal(r.alignment!.aligned, 1);
    assert.equal(r.alignment!.coveredShare, 1);
    // +e₁ fires exactly on the 30 largest tokens: AUROC 1, norm-correlated and not aligned, so a norm detector
    assert.equal(r.normCorrelated, 1);
    assert.equal(r.normDetectors, 1);
    assert.equal(r.normDetectorSlotShare, 30 / 230);
    // AUROCs: +e₀ and −e₀ 0.5 (bin 10), +e₁ 1 (last bin), −e₁ none (dead)
    assert.deepEqual(
      r.normAurocHistogram.counts,
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    );
    assert.equal(r.alphaHistogram, null, "the inner product has no α");
    // the 30 largest tokens hold 2 latents, the rest 1: deciles of 20 tokens, the 9th half and half
    assert.deepEqual(r.slotShare.decileMeanL0, [1, 1, 1, 1, 1, 1, 1, 1, 1.5, 2]);
    assert.equal(r.slotShare.top10Share, 40 / 230);
    assert.equal(r.splicedLoss, null);
  } finally {
    await kernels.dispose();
  }
});
