import assert from "node:assert/strict";
import test from "node:test";
import { extremes } from "../../src/features/decoder-logits.js";
import { rankBands } from "../../src/features/quantile-bands.js";
import { roundSignificant } from "../../src/features/round-significant.js";
import { sampleIndices } from "../../src/features/sample.js";
import { Rng } from "../../src/util/rng.js";

test("roundSignificant keeps 4 significant digits and prints them short", () => {
  assert.equal(roundSignificant(1234.5678), 1235);
  assert.equal(roundSignificant(123456), 123500);
  assert.equal(roundSignificant(-2.34567), -2.346);
  assert.equal(JSON.stringify(roundSignificant(0.000123456)), "0.0001235");
  assert.equal(JSON.stringify(roundSignificant(1 / 3)), "0.3333");
  assert.equal(roundSignificant(0), 0);
  const rng = new Rng(1, 1);
  for (let i = 0; i < 2000; i++) {
    const x = (rng.uniform() - 0.5) * 10 ** (rng.int(16) - 8);
    const r = roundSignificant(x);
    assert.ok(Math.abs(r - x) <= 5.0001e-4 * Math.abs(x), `${x} → ${r}`);
    const digits = r.toExponential().split("e")[0]!.replace(/[-.]/g, "");
    assert.ok(digits.length <= 4, `${x} → ${r}`);
  }
});

test("rank bands partition the ranking, highest first, leaving out empty ones", () => {
  assert.deepEqual(rankBands(7, 2), [
    { label: "top 50%", from: 0, to: 3 },
    { label: "50–100%", from: 3, to: 7 },
  ]);
  assert.deepEqual(
    rankBands(100, 4).map((b) => [b.label, b.to - b.from]),
    [
      ["top 25%", 25],
      ["25–50%", 25],
      ["50–75%", 25],
      ["75–100%", 25],
    ],
  );
  for (const [n, bands] of [
    [3, 4],
    [10, 3],
    [1, 5],
    [0, 2],
  ] as const) {
    const b = rankBands(n, bands);
    const covered = b.flatMap((x) => Array.from({ length: x.to - x.from }, (_, i) => x.from + i));
    assert.deepEqual(
      covered,
      Array.from({ length: n }, (_, i) => i),
    );
    assert.ok(b.every((x) => x.to > x.from));
  }
  assert.deepEqual(rankBands(5, 1), [{ label: "all", from: 0, to: 5 }]);
  assert.throws(() => rankBands(5, 0), /bands must be ≥ 1/);
});

test("sampleIndices draws distinct ascending indices, all of them when asked for more, uniformly", () => {
  const rng = new Rng(7, 1);
  assert.deepEqual(sampleIndices(rng, 4, 10), [0, 1, 2, 3]);
  assert.deepEqual(sampleIndices(rng, 5, 0), []);
  const seen = new Array<number>(10).fill(0);
  for (let i = 0; i < 3000; i++) {
    const s = sampleIndices(rng, 10, 3);
    assert.equal(s.length, 3);
    assert.ok(s[0]! < s[1]! && s[1]! < s[2]! && s[0]! >= 0 && s[2]! < 10, `${s}`);
    for (const k of s) seen[k]!++;
  }
  // Each index is in 3/10 of the samples: 900 expected, sd ≈ 25.
  assert.ok(
    seen.every((c) => Math.abs(c - 900) < 125),
    `${seen}`,
  );
  assert.deepEqual(sampleIndices(new Rng(3, 9), 1000, 5), sampleIndices(new Rng(3, 9), 1000, 5));
});

test("extremes finds the largest and smallest entries, ties by lower index, like a full sort", () => {
  const rng = new Rng(5, 5);
  for (let trial = 0; trial < 50; trial++) {
    const n = 1 + rng.int(300);
    const row = Float32Array.from({ length: n }, () => rng.int(40) - 20); // many ties
    const count = 1 + rng.int(12);
    for (const sign of [1, -1] as const) {
      const ids = new Int32Array(count + 2).fill(-7);
      const values = new Float64Array(count + 2);
      extremes(row, count, sign, ids, values, 1);
      const want = Array.from(row.keys())
        .sort((a, b) => sign * (row[b]! - row[a]!) || a - b)
        .slice(0, count);
      const k = Math.min(count, n);
      assert.deepEqual([...ids.subarray(1, 1 + k)], want);
      assert.deepEqual(
        [...values.subarray(1, 1 + k)],
        want.map((i) => row[i]!),
      );
      assert.equal(ids[0], -7); // nothing written outside its slot
      assert.equal(ids[count + 1], -7);
    }
  }
});
