import assert from "node:assert/strict";
import test from "node:test";
import { matchAtFvu } from "../../src/compare/matched.js";

const points = [
  { k: 16, fvu: 0.1, measures: { l0: 16, aligned: 0.5, alpha: null } },
  { k: 4, fvu: 0.3, measures: { l0: 4, aligned: 0.2, alpha: null } },
  { k: 8, fvu: 0.2, measures: { l0: 8, aligned: 0.4, alpha: null } },
];

test("a target between two runs is interpolated linearly in FVU, and k in log k", () => {
  const row = matchAtFvu("inner", points, 0.24);
  // w = (0.24 − 0.3) / (0.2 − 0.3) = 0.6 of the way from k = 4 to k = 8
  assert.equal(row.bracketed, true);
  assert.ok(Math.abs(row.measures.l0! - 6.4) < 1e-12);
  assert.ok(Math.abs(row.measures.aligned! - 0.32) < 1e-12);
  assert.equal(row.measures.alpha, null);
  assert.ok(Math.abs(row.k - Math.exp(Math.log(4) + 0.6 * Math.log(2))) < 1e-12);
  // the nearest run is k = 8 (0.04 away), below the target
  assert.ok(Math.abs(row.nearestGap - -0.04) < 1e-12);
});

test("a target on a run gives that run's measures; outside all runs the nearest stands in, marked", () => {
  const on = matchAtFvu("cosine", points, 0.2);
  assert.equal(on.bracketed, true);
  assert.equal(on.measures.l0, 8);
  assert.equal(on.nearestGap, 0);

  const below = matchAtFvu("cosine", points, 0.05);
  assert.equal(below.bracketed, false);
  assert.equal(below.k, 16);
  assert.deepEqual(below.measures, points[0]!.measures);
  assert.ok(Math.abs(below.nearestGap - 0.05) < 1e-12);

  const above = matchAtFvu("cosine", points, 0.5);
  assert.equal(above.bracketed, false);
  assert.equal(above.k, 4);
});

test("a non-monotone family is matched between the neighbours nearest the target", () => {
  // FVU rises again at k = 16: the target 0.25 is bracketed by (4, 8) and by (8, 16); the pair with the nearest run wins.
  const wobbly = [
    { k: 4, fvu: 0.3, measures: { l0: 4 } },
    { k: 8, fvu: 0.2, measures: { l0: 8 } },
    { k: 16, fvu: 0.26, measures: { l0: 16 } },
  ];
  const row = matchAtFvu("blend", wobbly, 0.25);
  // nearest run: k = 16 (0.01 away), so the pair is (8, 16): w = 0.05 / 0.06
  assert.ok(Math.abs(row.measures.l0! - (8 + (0.05 / 0.06) * 8)) < 1e-9);
});

test("no runs, or a non-finite target, is an error", () => {
  assert.throws(() => matchAtFvu("x", [], 0.1), /no runs/);
  assert.throws(() => matchAtFvu("x", points, Number.NaN), /not finite/);
});
