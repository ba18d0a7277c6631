import assert from "node:assert/strict";
import { test } from "node:test";
import { fractionOfVarianceUnexplained } from "../../src/evaluation/fvu.js";

// Three tokens in d = 2: x0 = (0,0), x1 = (0,0), x2 = (3,6); mean x̄ = (1,2).
// ‖x_t − x̄‖² = 5, 5, 20 → total 30. Reconstruction wrong only on token 0,
// x̂0 = (0,1): residual 1. Pooled FVU = 1/30.
// A per-token average of ratios would give (1/5 + 0 + 0)/3 = 1/15; a
// per-dimension average gives (0/6 + 1/24)/2 = 1/48. Both differ from 1/30.
const x = Float64Array.of(0, 0, 0, 0, 3, 6);
const xhat = Float64Array.of(0, 1, 0, 0, 3, 6);

test("fvu pools sums over tokens and dimensions", () => {
  const fvu = fractionOfVarianceUnexplained(x, xhat, 3, 2);
  assert.ok(Math.abs(fvu - 1 / 30) < 1e-15, `got ${fvu}`);
  assert.notEqual(fvu, 1 / 15);
  assert.notEqual(fvu, 1 / 48);
});

test("fvu is 1 for the mean and 0 for a perfect reconstruction", () => {
  const mean = Float64Array.of(1, 2, 1, 2, 1, 2);
  assert.equal(fractionOfVarianceUnexplained(x, mean, 3, 2), 1);
  assert.equal(fractionOfVarianceUnexplained(x, x, 3, 2), 0);
});

test("fvu is stable under a large common offset", () => {
  // Adding 1e9 everywhere changes nothing: residuals are equal and variance is
  // about the mean. Values stay exact integers in float64. The one-pass form
  // Σx² − N x̄² would lose everything here (x² ≈ 1e18, float64 spacing 128).
  const offset = 1e9;
  const xo = x.map((v) => v + offset);
  const xhato = xhat.map((v) => v + offset);
  const fvu = fractionOfVarianceUnexplained(xo, xhato, 3, 2);
  assert.ok(Math.abs(fvu - 1 / 30) < 1e-12, `got ${fvu}`);
});

test("fvu accepts float32 data and is NaN without variance", () => {
  const x32 = Float32Array.from(x);
  const fvu = fractionOfVarianceUnexplained(x32, Float32Array.from(xhat), 3, 2);
  assert.ok(Math.abs(fvu - 1 / 30) < 1e-15);
  const flat = Float64Array.of(5, 5, 5, 5);
  assert.ok(Number.isNaN(fractionOfVarianceUnexplained(flat, flat, 2, 2)));
  assert.throws(() => fractionOfVarianceUnexplained(x, xhat, 4, 2), RangeError);
});
