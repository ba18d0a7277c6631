import assert from "node:assert/strict";
import { test } from "node:test";
import { logTicks, niceStep, niceTicks } from "../../src/report/nice-ticks.js";
import { dataScale } from "../../src/report/scale.js";
import { count, duration, fixed, formatMeasure, percent, signed } from "../../src/util/number-format.js";

test("nice linear ticks are round and cover the data", () => {
  assert.deepEqual(niceTicks(0.13, 0.87), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0.06, 0.31), [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35]);
  assert.deepEqual(niceTicks(3, 97), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks(-3, 4), [-3, -2, -1, 0, 1, 2, 3, 4]);
  assert.deepEqual(niceTicks(-3, 5), [-4, -2, 0, 2, 4, 6]);
  // a tick exactly at the data is not doubled
  assert.deepEqual(niceTicks(0.6, 1.2), [0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2]);
  // a single value gets a span around it
  const one = niceTicks(5, 5);
  assert.ok(one[0]! <= 5 && one.at(-1)! >= 5 && one.length >= 2);
  for (const [lo, hi] of [
    [0.0123, 0.0871],
    [17, 1234],
    [-0.5, 0.25],
  ] as const) {
    const t = niceTicks(lo, hi);
    assert.ok(t[0]! <= lo && t.at(-1)! >= hi, `${lo}..${hi} → ${t}`);
    const step = niceStep(hi - lo, 5);
    for (const v of t)
      assert.ok(Math.abs(v / step - Math.round(v / step)) < 1e-9, `${v} not a multiple of ${step}`);
    assert.ok(t.length >= 3 && t.length <= 11);
  }
});

test("log ticks: decades over a wide span, 1-2-5 over a narrow one", () => {
  assert.deepEqual(logTicks(1, 1000), [1, 10, 100, 1000]);
  assert.deepEqual(logTicks(3, 700), [1, 10, 100, 1000]);
  assert.deepEqual(logTicks(8, 64), [5, 10, 20, 50, 100]);
  assert.deepEqual(logTicks(7.8, 125), [5, 10, 20, 50, 100, 200]);
  assert.deepEqual(logTicks(0.02, 0.5), [0.02, 0.05, 0.1, 0.2, 0.5]);
  assert.deepEqual(logTicks(1, 1e12), [1, 100, 1e4, 1e6, 1e8, 1e10, 1e12]);
});

test("a data scale goes log only past the ratio, and holds what it must include", () => {
  const lin = dataScale([10, 30], [0, 100], { logAbove: 4 });
  assert.equal(lin.log, false);
  const log = dataScale([8, 16, 32, 64], [0, 100], { logAbove: 4 });
  assert.equal(log.log, true);
  assert.equal(log.map(log.lo), 0);
  assert.equal(log.map(log.hi), 100);
  // ticks 5, 10, 20, 50, 100: 10 is log₁₀2 of the way along log₁₀20
  assert.deepEqual(log.ticks, [5, 10, 20, 50, 100]);
  assert.ok(Math.abs(log.map(10) - (100 * Math.log10(2)) / Math.log10(20)) < 1e-9);
  const withTarget = dataScale([0.2, 0.3], [100, 0], { include: [0.05] });
  assert.ok(withTarget.lo <= 0.05);
  assert.equal(withTarget.map(withTarget.lo), 100);
});

test("numbers: dashes for missing, signs, percents, durations", () => {
  assert.equal(fixed(Number.NaN, 2), "—");
  assert.equal(fixed(null, 2), "—");
  assert.equal(formatMeasure(Number.POSITIVE_INFINITY, "percent"), "—");
  assert.equal(formatMeasure(0.1234, "percent"), "12.3%");
  assert.equal(formatMeasure(0.12345, "fixed4"), "0.1235");
  assert.equal(formatMeasure(12, "count"), "12");
  assert.equal(count(12345.67), "12,345.7");
  assert.equal(fixed(-0.5, 2), "\u22120.50");
  assert.equal(fixed(-0.0001, 2), "0.00");
  assert.equal(signed(0.0012, 4), "+0.0012");
  assert.equal(signed(-0.0012, 4), "\u22120.0012");
  assert.equal(signed(0, 4), "0.0000");
  assert.equal(percent(1), "100.0%");
  assert.equal(duration(12.34), "12.3 s");
  assert.equal(duration(754.2), "12 min 34 s");
  assert.equal(duration(3725), "1 h 02 min");
});
