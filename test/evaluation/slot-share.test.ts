import assert from "node:assert/strict";
import { test } from "node:test";
import { slotShareByNorm, topCount } from "../../src/evaluation/slot-share.js";
import { indicatorRows } from "./sparse-rows.js";

test("slot share on a hand case of 20 tokens", () => {
  // Norms 1..20 in shuffled order (t ↦ 7t mod 20 + 1 is a permutation).
  // The two largest tokens (norms 19, 20) have L0 = 5, the other 18 have L0 = 1.
  // Total slots 18 + 10 = 28. Deciles hold 2 tokens each: means 1 ×9, then 5.
  // Top 1%: ⌈0.2⌉ = 1 token → 5/28. Top 10%: ⌈2⌉ = 2 tokens → 10/28.
  const n = 20;
  const norms = new Float64Array(n);
  const sets: number[][] = [];
  for (let t = 0; t < n; t++) {
    norms[t] = ((7 * t) % n) + 1;
    sets.push(norms[t]! >= 19 ? [0, 1, 2, 3, 4] : [t % 5]);
  }
  const r = slotShareByNorm(norms, indicatorRows(sets));
  assert.deepEqual(r.decileMeanL0, [1, 1, 1, 1, 1, 1, 1, 1, 1, 5]);
  assert.equal(r.top1Share, 5 / 28);
  assert.equal(r.top10Share, 10 / 28);
});

test("slot share with a massive token that takes most slots", () => {
  // 100 tokens of L0 1 except the largest one with L0 101: total 200.
  // Top 1% = 1 token → 101/200; top 10% = 10 tokens → (101 + 9)/200.
  const n = 100;
  const norms = Float64Array.from({ length: n }, (_, t) => t);
  const sets = Array.from({ length: n }, (_, t) =>
    t === n - 1 ? Array.from({ length: 101 }, (_, j) => j) : [0],
  );
  const r = slotShareByNorm(norms, indicatorRows(sets));
  assert.equal(r.top1Share, 101 / 200);
  assert.equal(r.top10Share, 110 / 200);
  assert.equal(r.decileMeanL0[9], (9 + 101) / 10);
});

test("top count is a ceiling that does not overshoot on rounding", () => {
  assert.equal(topCount(0.07, 100), 7); // 0.07·100 = 7.000000000000001 in float64
  assert.equal(topCount(0.01, 150), 2);
  assert.equal(topCount(0.1, 5), 1);
});
