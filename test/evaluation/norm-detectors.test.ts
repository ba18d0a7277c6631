import assert from "node:assert/strict";
import { test } from "node:test";
import { alignmentSummary, conceptAlignment } from "../../src/evaluation/concept-alignment.js";
import { fireCounts } from "../../src/evaluation/firing.js";
import { latentNormAuroc } from "../../src/evaluation/norm-auroc.js";
import { normDetectors } from "../../src/evaluation/norm-detectors.js";
import { indicatorRows } from "./sparse-rows.js";

test("norm-correlated and norm detectors from given inputs", () => {
  // AUROC 0.95, 0.92, 0.5, NaN (dead), 0.9; latent 0 aligned; fires 10, 30, 50, 0, 10.
  // Alive 4. Correlated (≥ 0.9): 0, 1, 4 → 3/4, slots 50/100.
  // Detectors (correlated, not aligned): 1, 4 → 2/4, slots 40/100.
  const r = normDetectors(
    Float64Array.of(0.95, 0.92, 0.5, Number.NaN, 0.9),
    Uint8Array.of(1, 0, 0, 0, 0),
    Int32Array.of(10, 30, 50, 0, 10),
  );
  assert.equal(r.alive, 4);
  assert.equal(r.normCorrelated, 3);
  assert.equal(r.normCorrelatedShare, 0.75);
  assert.equal(r.normCorrelatedSlotShare, 0.5);
  assert.equal(r.normDetectors, 2);
  assert.equal(r.normDetectorShare, 0.5);
  assert.equal(r.normDetectorSlotShare, 0.4);
  assert.deepEqual([...r.isNormCorrelated], [1, 1, 0, 0, 1]);
  assert.deepEqual([...r.isNormDetector], [0, 1, 0, 0, 1]);
  // A stricter threshold drops latents 1 (0.92) and 4 (0.9): only aligned latent 0 left.
  const strict = normDetectors(
    Float64Array.of(0.95, 0.92, 0.5, Number.NaN, 0.9),
    Uint8Array.of(1, 0, 0, 0, 0),
    Int32Array.of(10, 30, 50, 0, 10),
    0.93,
  );
  assert.equal(strict.normCorrelated, 1);
  assert.equal(strict.normDetectors, 0);
});

test("a latent firing on the largest tokens is a norm detector unless it tracks a concept", () => {
  // 400 tokens, norm = t. Latent 0 fires on the 20 largest (380..399): AUROC 1.
  // Latent 1 fires on 360..379: each fire beats the 360 smaller tokens and loses
  // to the 20 larger ones → 20·360 / (20·380) = 18/19 ≈ 0.947. Concept 0 is on
  // exactly where latent 1 fires (F1 1, aligned); latent 0 never meets it (F1 0).
  // Latent 2 fires on even tokens: pairs (2a, 2b+1) won iff a > b →
  // 19900/40000 = 0.4975, not correlated.
  // Correlated: 0 and 1. Detector: 0 only. Slots 20 + 20 + 200 = 240.
  const n = 400;
  const norms = Float64Array.from({ length: n }, (_, t) => t);
  const latents = Array.from({ length: n }, (_, t) => {
    const row: number[] = [];
    if (t >= 380) row.push(0);
    if (t >= 360 && t < 380) row.push(1);
    if (t % 2 === 0) row.push(2);
    return row;
  });
  const concepts = Array.from({ length: n }, (_, t) => (t >= 360 && t < 380 ? [0] : []));
  const codes = indicatorRows(latents);
  const auroc = latentNormAuroc(norms, codes, 3);
  assert.deepEqual([...auroc], [1, 18 / 19, 19900 / 40000]);
  const summary = alignmentSummary(conceptAlignment(codes, 3, indicatorRows(concepts), 1));
  assert.deepEqual([...summary.alignedFlags], [0, 1, 0]);
  const r = normDetectors(auroc, summary.alignedFlags, fireCounts(codes, 3));
  assert.deepEqual([...r.isNormCorrelated], [1, 1, 0]);
  assert.deepEqual([...r.isNormDetector], [1, 0, 0]);
  assert.equal(r.normCorrelatedSlotShare, 40 / 240);
  assert.equal(r.normDetectorSlotShare, 20 / 240);
  assert.equal(r.normDetectorShare, 1 / 3);
});
