import assert from "node:assert/strict";
import test from "node:test";
import { fitProbe, scoreProbe } from "../../src/evaluation/logistic-probe.js";
import { choleskySolve, fitLogistic, logisticObjective } from "../../src/evaluation/logistic-regression.js";
import { Rng } from "../../src/util/rng.js";

/** n rows of p standard normal features; y = 1 where a fixed direction plus noise is positive. */
function noisyData(n: number, p: number, seed: number): { x: Float64Array; y: Uint8Array } {
  const rng = new Rng(seed);
  const x = new Float64Array(n * p);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0.3;
    for (let c = 0; c < p; c++) {
      x[i * p + c] = rng.normal();
      s += x[i * p + c]! * (c % 2 ? -0.5 : 1) * (c < 3 ? 1 : 0.1);
    }
    y[i] = s + rng.normal() > 0 ? 1 : 0;
  }
  return { x, y };
}

test("logisticObjective's gradient matches central finite differences", () => {
  const n = 40;
  const p = 3;
  const { x, y } = noisyData(n, p, 1);
  const theta = Float64Array.from([0.4, -1.1, 0.7, -0.2]);
  const grad = new Float64Array(p + 1);
  logisticObjective(x, y, n, p, 0.3, theta, grad);
  const h = 1e-6;
  for (let c = 0; c <= p; c++) {
    const plus = theta.slice();
    const minus = theta.slice();
    plus[c]! += h;
    minus[c]! -= h;
    const scratch = new Float64Array(p + 1);
    const fd =
      (logisticObjective(x, y, n, p, 0.3, plus, scratch) -
        logisticObjective(x, y, n, p, 0.3, minus, scratch)) /
      (2 * h);
    assert.ok(
      Math.abs(fd - grad[c]!) < 1e-8,
      `component ${c}: analytic ${grad[c]} vs finite difference ${fd}`,
    );
  }
});

test("Newton and L-BFGS reach the same optimum, where the gradient is zero", () => {
  const n = 300;
  const p = 6;
  const { x, y } = noisyData(n, p, 2);
  const newton = fitLogistic(x, y, n, p, { l2: 0.01, method: "newton", gradientTolerance: 1e-12 });
  const lbfgs = fitLogistic(x, y, n, p, { l2: 0.01, method: "lbfgs", gradientTolerance: 1e-10 });
  assert.equal(newton.method, "newton");
  assert.equal(lbfgs.method, "lbfgs");
  assert.ok(newton.gradientMax < 1e-12, `Newton's gradient ${newton.gradientMax}`);
  assert.ok(newton.iterations < 15, `Newton took ${newton.iterations} steps`);
  assert.ok(lbfgs.gradientMax < 1e-10, `L-BFGS's gradient ${lbfgs.gradientMax}`);
  for (let c = 0; c < p; c++) assert.ok(Math.abs(newton.weights[c]! - lbfgs.weights[c]!) < 1e-7);
  assert.ok(Math.abs(newton.bias - lbfgs.bias) < 1e-7);
  // the gradient, recomputed here, is zero at the returned point
  const grad = new Float64Array(p + 1);
  logisticObjective(x, y, n, p, 0.01, Float64Array.from([...newton.weights, newton.bias]), grad);
  assert.ok(Math.max(...grad.map(Math.abs)) < 1e-12);
  // auto picks Newton for few features, L-BFGS for many
  assert.equal(fitLogistic(x, y, n, p, { l2: 0.01 }).method, "newton");
  assert.equal(fitLogistic(x, y, n, p, { l2: 0.01, newtonMaxFeatures: 5 }).method, "lbfgs");
});

test("known optima: the intercept alone is the log-odds; one separating feature solves λw = σ(−w)", () => {
  // no information in x: w = 0 and b = log(3 positives / 1 negative)
  const flat = fitLogistic(new Float64Array(8), Uint8Array.from([1, 1, 1, 0, 1, 1, 1, 0]), 8, 1, { l2: 0.5 });
  assert.equal(flat.weights[0], 0);
  assert.ok(Math.abs(flat.bias - Math.log(3)) < 1e-12, `bias ${flat.bias}`);

  // separable: x = +1 (y = 1) and −1 (y = 0) alike often, so b = 0 and ∂f/∂w = −σ(−w) + λw = 0
  const x = Float64Array.from([1, -1, 1, -1, 1, -1]);
  const y = Uint8Array.from([1, 0, 1, 0, 1, 0]);
  for (const l2 of [1, 1e-2, 1e-4]) {
    let lo = 0;
    let hi = 100;
    for (let i = 0; i < 200; i++) {
      const w = (lo + hi) / 2;
      if (l2 * w - 1 / (1 + Math.exp(w)) < 0) lo = w;
      else hi = w;
    }
    for (const method of ["newton", "lbfgs"] as const) {
      const fit = fitLogistic(x, y, 6, 1, { l2, method });
      assert.ok(
        Math.abs(fit.weights[0]! - lo) < 1e-6 * (1 + lo),
        `λ ${l2} ${method}: w ${fit.weights[0]} vs ${lo}`,
      );
      assert.ok(Math.abs(fit.bias) < 1e-7, `λ ${l2} ${method}: bias ${fit.bias}`);
    }
  }
});

test("separable data with many features: a finite fit that classifies every row", () => {
  const n = 60;
  const p = 40; // more features than half the rows: separable in many ways
  const { x } = noisyData(n, p, 3);
  const y = new Uint8Array(n).map((_, i) => (x[i * p]! > 0 ? 1 : 0));
  for (const method of ["newton", "lbfgs"] as const) {
    const fit = fitLogistic(x, y, n, p, { l2: 1e-3, method });
    assert.ok(fit.weights.every(Number.isFinite) && Number.isFinite(fit.bias));
    assert.ok(fit.gradientMax < 1e-7, `${method}: gradient ${fit.gradientMax}`);
    for (let i = 0; i < n; i++) {
      let z = fit.bias;
      for (let c = 0; c < p; c++) z += fit.weights[c]! * x[i * p + c]!;
      assert.equal(z > 0 ? 1 : 0, y[i], `${method}: row ${i}`);
    }
  }
});

test("fitLogistic refuses one class, a zero penalty and mismatched shapes", () => {
  const x = new Float64Array(4);
  assert.throws(() => fitLogistic(x, new Uint8Array(4), 4, 1), /one class only \(0 of 4 positive\)/);
  assert.throws(() => fitLogistic(x, new Uint8Array(4).fill(1), 4, 1), /one class only \(4 of 4/);
  assert.throws(() => fitLogistic(x, Uint8Array.from([0, 1, 0, 1]), 4, 1, { l2: 0 }), /l2 must be > 0/);
  assert.throws(() => fitLogistic(x, Uint8Array.from([0, 1, 0, 1]), 4, 2), /4 values, expected 4 × 2/);
});

test("choleskySolve solves a symmetric positive definite system and refuses an indefinite one", () => {
  // A = [[4, 2, 0], [2, 5, 1], [0, 1, 3]] (lower triangle given), b = A · [1, −2, 3]
  const a = Float64Array.from([4, 0, 0, 2, 5, 0, 0, 1, 3]);
  const b = Float64Array.from([0, -5, 7]);
  assert.ok(choleskySolve(a, 3, b));
  for (const [i, v] of [1, -2, 3].entries()) assert.ok(Math.abs(b[i]! - v) < 1e-12, `v[${i}] = ${b[i]}`);
  assert.equal(choleskySolve(Float64Array.from([1, 0, 2, 1]), 2, new Float64Array(2)), false);
});

test("fitProbe works in the features' own units: scale a feature and its weight scales back", () => {
  const n = 200;
  const p = 3;
  const { x, y } = noisyData(n, p, 4);
  const scaled = x.map((v, i) => (i % p === 1 ? 1000 * v + 5 : v));
  const a = fitProbe(x, y, 160, p, 1);
  const b = fitProbe(scaled, y, 160, p, 1);
  assert.ok(Math.abs(b.weights[1]! * 1000 - a.weights[1]!) < 1e-9);
  assert.ok(Math.abs(b.weights[0]! - a.weights[0]!) < 1e-9);
  assert.deepEqual(scoreProbe(a, x, y, 160, n, p), scoreProbe(b, scaled, y, 160, n, p));
  // a column constant on the training rows gets weight 0
  const constant = x.map((v, i) => (i % p === 2 ? 7 : v));
  assert.equal(fitProbe(constant, y, 160, p, 1).weights[2], 0);
});
