import assert from "node:assert/strict";
import { test } from "node:test";
import { alphaReport } from "../../src/evaluation/alpha-report.js";

test("alpha report on five values", () => {
  // Sorted 0, 0.25, 0.5, 0.75, 1 → quartiles at positions 1, 2, 3 exactly.
  // Mean 0.5; strictly above 0.5: 0.75 and 1 → 2/5 (0.5 itself does not count).
  const r = alphaReport(Float64Array.of(1, 0.25, 0.5, 0, 0.75));
  assert.deepEqual(r, {
    count: 5,
    min: 0,
    q1: 0.25,
    median: 0.5,
    q3: 0.75,
    max: 1,
    mean: 0.5,
    shareAbove: 0.4,
  });
});

test("alpha quartiles interpolate linearly like numpy", () => {
  // [0, 1, 2, 10]: q1 at position 0.75 → 0.75; median at 1.5 → 1.5;
  // q3 at 2.25 → 2 + 0.25·8 = 4 (np.quantile gives 0.75, 1.5, 4.0).
  const r = alphaReport(Float32Array.of(10, 2, 0, 1));
  assert.equal(r.q1, 0.75);
  assert.equal(r.median, 1.5);
  assert.equal(r.q3, 4);
  assert.equal(r.mean, 13 / 4);
  assert.equal(r.shareAbove, 0.75);
});

test("a single shared alpha and an empty one", () => {
  const one = alphaReport(Float32Array.of(0.5));
  assert.equal(one.min, 0.5);
  assert.equal(one.q3, 0.5);
  assert.equal(one.shareAbove, 0);
  const none = alphaReport(new Float64Array(0));
  assert.equal(none.count, 0);
  assert.ok(Number.isNaN(none.median));
});
