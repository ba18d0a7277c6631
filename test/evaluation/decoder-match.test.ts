import assert from "node:assert/strict";
import { test } from "node:test";
import { decoderMatch } from "../../src/evaluation/decoder-match.js";
import { Rng } from "../../src/util/rng.js";

test("decoder match on hand-made rows that are not unit length", () => {
  // Decoder rows (m = 3, d = 2): (2,0), (0,3), (1,1).
  // True features: (1,0) → cos 1 with row 0.
  //                (5,5) → cos 1 with row 2.
  //                (0,−1) → cosines 0, −1, −1/√2: best 0 (row 0), signed.
  //                (0.8,0.6) → 0.8, 0.6, 1.4/√2 ≈ 0.98995 (row 2).
  // Recovered at 0.9: features 0, 1, 3 → 3. MMCS = (1 + 1 + 0 + 1.4/√2) / 4.
  const decoder = Float64Array.of(2, 0, 0, 3, 1, 1);
  const features = Float64Array.of(1, 0, 5, 5, 0, -1, 0.8, 0.6);
  const r = decoderMatch(decoder, features, 3, 4, 2);
  const c3 = 1.4 / Math.SQRT2;
  const expected = [1, 1, 0, c3];
  for (let f = 0; f < 4; f++) assert.ok(Math.abs(r.bestCosine[f]! - expected[f]!) < 1e-12, `feature ${f}`);
  assert.deepEqual([...r.bestLatent], [0, 2, 0, 2]);
  assert.equal(r.recovered, 3);
  assert.ok(Math.abs(r.mmcs - (2 + c3) / 4) < 1e-12);
  // At threshold 0.995 feature 3 (0.98995) no longer counts.
  assert.equal(decoderMatch(decoder, features, 3, 4, 2, 0.995).recovered, 2);
});

test("decoder match finds scaled copies among 1000 random rows of width 700", () => {
  const rng = new Rng(5);
  const n = 100;
  const m = 1000;
  const d = 700;
  const decoder = Float32Array.from({ length: m * d }, () => rng.normal());
  const features = new Float32Array(n * d);
  // Feature f is a scaled copy of decoder row 3f: cosine 1 (up to float32).
  for (let f = 0; f < n; f++) {
    for (let i = 0; i < d; i++) features[f * d + i] = 2 * decoder[3 * f * d + i]!;
  }
  const r = decoderMatch(decoder, features, m, n, d);
  assert.equal(r.recovered, n);
  for (let f = 0; f < n; f++) assert.equal(r.bestLatent[f], 3 * f);
  assert.ok(Math.abs(r.mmcs - 1) < 1e-6);
});
