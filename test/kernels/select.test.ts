import assert from "node:assert/strict";
import { test } from "node:test";
import type { FloatArray, SparseRows } from "../../src/kernels/arrays.js";
import {
  kthLargest,
  SparseBuilder,
  selectAboveThreshold,
  selectBatchTopK,
  selectTopK,
} from "../../src/kernels/select.js";
import { Rng } from "../../src/util/rng.js";

// ---------------------------------------------------------------------------
// Helpers

/** A float32 matrix of normal values (about half positive). */
function normalMatrix(rows: number, m: number, seed: number, shift = 0): Float32Array {
  const rng = new Rng(seed, 11);
  const p = new Float32Array(rows * m);
  for (let i = 0; i < p.length; i++) p[i] = rng.normal() + shift;
  return p;
}

/** Structural checks every SparseRows result must pass; returns the entries as (row, col, value). */
function entriesOf(s: SparseRows, rows: number, m: number): Array<[number, number, number]> {
  assert.equal(s.rows, rows);
  assert.equal(s.rowStart.length, rows + 1);
  assert.equal(s.rowStart[0], 0);
  assert.equal(s.rowStart[rows], s.index.length, "rowStart[rows] is the number of entries");
  assert.equal(s.value.length, s.index.length);
  const out: Array<[number, number, number]> = [];
  for (let t = 0; t < rows; t++) {
    const from = s.rowStart[t]!;
    const to = s.rowStart[t + 1]!;
    assert.ok(to >= from, `rowStart decreases at row ${t}`);
    for (let i = from; i < to; i++) {
      const j = s.index[i]!;
      assert.ok(j >= 0 && j < m, `row ${t}: column ${j} outside 0..${m - 1}`);
      if (i > from) assert.ok(j > s.index[i - 1]!, `row ${t}: columns not strictly increasing at entry ${i}`);
      out.push([t, j, s.value[i]!]);
    }
  }
  return out;
}

/** Every entry carries exactly P's value at its position, and that value is > 0. */
function assertValuesFromP(entries: Array<[number, number, number]>, p: FloatArray, m: number): void {
  for (const [t, j, v] of entries) {
    assert.equal(v, p[t * m + j], `entry (${t}, ${j}) holds ${v}, P has ${p[t * m + j]}`);
    assert.ok(v > 0, `entry (${t}, ${j}) is not positive: ${v}`);
  }
}

/** The `count` largest positive values of `values`, descending (brute force by sorting). */
function topPositive(values: ArrayLike<number>, count: number): number[] {
  const positives: number[] = [];
  for (let i = 0; i < values.length; i++) if (values[i]! > 0) positives.push(values[i]!);
  positives.sort((a, b) => b - a);
  return positives.slice(0, count);
}

function descending(values: number[]): number[] {
  return values.slice().sort((a, b) => b - a);
}

/** BatchTopK against the brute force: same multiset of values, right count, right positions. */
function checkBatchTopK(p: FloatArray, rows: number, m: number, count: number): SparseRows {
  const s = selectBatchTopK(p, rows, m, count);
  const entries = entriesOf(s, rows, m);
  assertValuesFromP(entries, p, m);
  const expected = topPositive(p, count);
  assert.equal(entries.length, expected.length, `kept ${entries.length}, expected ${expected.length}`);
  assert.deepEqual(
    descending(entries.map((e) => e[2])),
    expected,
    `${rows}×${m}, count ${count}: kept values are not the largest positive ones`,
  );
  return s;
}

/**
 * The positions selectBatchTopK samples for its lower bound (a copy of its
 * LCG), used to build inputs on which that bound is too high.
 */
function sampledPositions(total: number): number[] {
  const samples = Math.min(total, 16384);
  const out: number[] = [];
  let h = 0x9e3779b9;
  for (let s = 0; s < samples; s++) {
    h = (Math.imul(h, 1664525) + 1013904223) >>> 0;
    out.push(h % total);
  }
  return out;
}

// ---------------------------------------------------------------------------
// BatchTopK

test("BatchTopK keeps exactly the count largest positive values on small random matrices", () => {
  const shapes: Array<[number, number]> = [
    [1, 1],
    [1, 7],
    [3, 5],
    [4, 16],
    [17, 33],
    [64, 100],
  ];
  let seed = 1;
  for (const [rows, m] of shapes) {
    const p = normalMatrix(rows, m, seed++);
    const positives = topPositive(p, rows * m).length;
    for (const count of [1, 2, Math.floor(positives / 2), positives - 1, positives]) {
      if (count < 1 || count > positives) continue;
      const s = checkBatchTopK(p, rows, m, count);
      assert.equal(s.index.length, count);
    }
  }
});

test("BatchTopK is exact on large matrices that take the sampled-lower-bound path", () => {
  for (const [rows, m, k] of [
    [512, 2048, 32],
    [256, 4096, 8],
    [1024, 512, 64],
    [512, 2048, 1],
  ] as const) {
    const count = rows * k;
    assert.ok(count < (rows * m) / 4, "the shape must be one that samples a bound");
    const p = normalMatrix(rows, m, rows + m + k, -0.5);
    const s = checkBatchTopK(p, rows, m, count);
    assert.equal(s.index.length, count);
  }
});

test("BatchTopK falls back when the sampled bound is too high (winners at the sampled positions)", () => {
  const rows = 512;
  const m = 2048;
  const total = rows * m;
  const rng = new Rng(5, 1);
  // Small positive values everywhere, large ones exactly where the bound is sampled:
  // the sample then sees only large values, so its bound is above the true cut.
  const p = new Float32Array(total);
  for (let i = 0; i < total; i++) p[i] = 0.01 + rng.uniform();
  const distinct = new Set(sampledPositions(total));
  for (const at of distinct) p[at] = 10 + rng.uniform();
  const count = 20000;
  assert.ok(
    distinct.size < count,
    "fewer entries above the sampled bound than count: the first pass is short",
  );
  assert.ok(count < total / 4);
  const s = checkBatchTopK(p, rows, m, count);
  assert.equal(s.index.length, count);
  // Every large value wins, and the rest are the largest small ones.
  let large = 0;
  for (let i = 0; i < s.value.length; i++) large += s.value[i]! >= 10 ? 1 : 0;
  assert.equal(large, distinct.size);
});

test("BatchTopK is exact when the values concentrate in one row", () => {
  const rows = 512;
  const m = 2048;
  const p = normalMatrix(rows, m, 8, -4); // almost everything negative
  const rng = new Rng(9, 2);
  for (let j = 0; j < m; j++) p[77 * m + j] = 50 + rng.normal(); // one row holds the largest values
  for (const count of [100, 2048, 3000, 8192]) {
    const s = checkBatchTopK(p, rows, m, count);
    assert.equal(s.index.length, Math.min(count, topPositive(p, rows * m).length));
    const inRow77 = s.rowStart[78]! - s.rowStart[77]!;
    assert.equal(inRow77, Math.min(count, m));
  }
});

test("BatchTopK returns every positive value when fewer than count are positive", () => {
  const rows = 40;
  const m = 50;
  const p = normalMatrix(rows, m, 3, -2.5); // about 0.6% positive
  const positives = topPositive(p, rows * m).length;
  assert.ok(positives > 0 && positives < 100);
  const s = checkBatchTopK(p, rows, m, 100);
  assert.equal(s.index.length, positives);

  // Large shape, sampled path: far fewer positives than count.
  const big = normalMatrix(512, 2048, 4, -3.5);
  const bigPositives = topPositive(big, 512 * 2048).length;
  assert.ok(bigPositives < 16384);
  const sb = checkBatchTopK(big, 512, 2048, 16384);
  assert.equal(sb.index.length, bigPositives);
});

test("BatchTopK never selects values ≤ 0", () => {
  const rows = 8;
  const m = 16;
  const p = new Float32Array(rows * m).fill(-1);
  p[5] = 0;
  p[9] = -0;
  p[20] = 0.5;
  p[100] = 2;
  const s = selectBatchTopK(p, rows, m, 10);
  const entries = entriesOf(s, rows, m);
  assert.deepEqual(entries, [
    [1, 4, 0.5],
    [6, 4, 2],
  ]);
  // All zeros / all negative: nothing.
  assert.equal(selectBatchTopK(new Float32Array(rows * m), rows, m, 5).index.length, 0);
  assert.equal(selectBatchTopK(new Float32Array(rows * m).fill(-3), rows, m, 5).index.length, 0);
  // count = 0 keeps nothing.
  const none = selectBatchTopK(normalMatrix(rows, m, 6), rows, m, 0);
  assert.equal(none.index.length, 0);
  assert.equal(none.rowStart[rows], 0);
});

test("BatchTopK: exact ties at the cut still give exactly count", () => {
  // Small: values 1, 2, 3 with many repeats; every cut falls inside a tie group.
  const rows = 6;
  const m = 10;
  const rng = new Rng(12, 3);
  const p = new Float32Array(rows * m);
  for (let i = 0; i < p.length; i++) p[i] = rng.int(4); // 0 (not positive), 1, 2, 3
  const positives = topPositive(p, rows * m).length;
  for (let count = 1; count <= positives; count++) {
    const s = checkBatchTopK(p, rows, m, count);
    assert.equal(s.index.length, count);
  }
  // Every value equal.
  const flat = new Float32Array(rows * m).fill(0.25);
  for (const count of [1, 7, 59, 60]) {
    const s = checkBatchTopK(flat, rows, m, count);
    assert.equal(s.index.length, count);
  }

  // Large, sampled path: integer values 0..9, so the cut is inside the block of 9s
  // (and the sampled bound equals the top value, which also forces the fallback).
  const R = 512;
  const M = 2048;
  const big = new Float32Array(R * M);
  const rng2 = new Rng(13, 3);
  for (let i = 0; i < big.length; i++) big[i] = rng2.int(10);
  for (const count of [16384, 16385, 100000]) {
    const s = checkBatchTopK(big, R, M, count);
    assert.equal(s.index.length, count);
  }
});

test("BatchTopK on float64 input keeps float64 values", () => {
  const rows = 5;
  const m = 9;
  const rng = new Rng(21, 4);
  const p = new Float64Array(rows * m);
  for (let i = 0; i < p.length; i++) p[i] = rng.normal() + 1e-9 * rng.uniform();
  const s = checkBatchTopK(p, rows, m, 12);
  assert.ok(s.value instanceof Float64Array, "values must stay float64");
  let notFloat32 = 0;
  for (let i = 0; i < s.value.length; i++) notFloat32 += Math.fround(s.value[i]!) !== s.value[i]! ? 1 : 0;
  assert.ok(notFloat32 > 0, "the kept values must not have been rounded to float32");

  // Large float64, sampled path.
  const R = 256;
  const M = 2048;
  const big = new Float64Array(R * M);
  const rng2 = new Rng(22, 4);
  for (let i = 0; i < big.length; i++) big[i] = rng2.normal();
  const sb = checkBatchTopK(big, R, M, R * 16);
  assert.ok(sb.value instanceof Float64Array);

  const s32 = selectBatchTopK(normalMatrix(rows, m, 23), rows, m, 4);
  assert.ok(s32.value instanceof Float32Array, "float32 input gives float32 values");
});

// ---------------------------------------------------------------------------
// TopK

/** TopK against the brute force, row by row. */
function checkTopK(p: FloatArray, rows: number, m: number, k: number): SparseRows {
  const s = selectTopK(p, rows, m, k);
  const entries = entriesOf(s, rows, m);
  assertValuesFromP(entries, p, m);
  for (let t = 0; t < rows; t++) {
    const row = p.subarray(t * m, (t + 1) * m);
    const expected = topPositive(row, k);
    const got = entries.filter((e) => e[0] === t).map((e) => e[2]);
    assert.equal(got.length, expected.length, `row ${t}: kept ${got.length}, expected ${expected.length}`);
    assert.deepEqual(
      descending(got),
      expected,
      `row ${t}: kept values are not the row's largest positive ones`,
    );
  }
  return s;
}

test("TopK keeps min(k, positives) per row and they are the row's largest", () => {
  const shapes: Array<[number, number]> = [
    [1, 1],
    [1, 20],
    [7, 13],
    [32, 64],
    [100, 300],
  ];
  let seed = 30;
  for (const [rows, m] of shapes) {
    for (const shift of [0, -1.5]) {
      const p = normalMatrix(rows, m, seed++, shift);
      for (const k of [1, 2, 5, 16, m]) {
        if (k > m) continue;
        checkTopK(p, rows, m, k);
      }
    }
  }
});

test("TopK handles rows with no positive values, ties at the cut and float64", () => {
  const rows = 4;
  const m = 6;
  const p = Float32Array.from([
    // row 0: nothing positive
    -1, 0, -2, -0, -3, -4,
    // row 1: ties at the cut (three 2s, k = 2)
    2, -1, 2, 0, 2, 1,
    // row 2: fewer positives than k
    0, 0.5, 0, 0, 0, 0,
    // row 3: all equal
    1, 1, 1, 1, 1, 1,
  ]);
  const s = checkTopK(p, rows, m, 2);
  assert.deepEqual(Array.from(s.rowStart), [0, 0, 2, 3, 5]);

  const rng = new Rng(40, 5);
  const p64 = new Float64Array(10 * 30);
  for (let i = 0; i < p64.length; i++) p64[i] = rng.normal() + 1e-10 * rng.uniform();
  const s64 = checkTopK(p64, 10, 30, 4);
  assert.ok(s64.value instanceof Float64Array);

  // Discrete values: ties everywhere.
  const d = new Float32Array(50 * 40);
  for (let i = 0; i < d.length; i++) d[i] = rng.int(5) - 1;
  for (const k of [1, 3, 10, 40]) checkTopK(d, 50, 40, k);
});

// ---------------------------------------------------------------------------
// selectAboveThreshold

test("selectAboveThreshold keeps exactly the entries with P > threshold[j] and P > 0", () => {
  const rows = 60;
  const m = 50;
  const p = normalMatrix(rows, m, 50);
  const rng = new Rng(51, 6);
  const threshold = new Float32Array(m);
  for (let j = 0; j < m; j++) threshold[j] = j % 5 === 0 ? -0.5 : rng.normal() * 0.5; // some negative
  threshold[3] = p[2 * m + 3]!; // an entry equal to its threshold is not kept
  const s = selectAboveThreshold(p, rows, m, threshold);
  const entries = entriesOf(s, rows, m);
  assertValuesFromP(entries, p, m);
  const expected: Array<[number, number, number]> = [];
  for (let t = 0; t < rows; t++) {
    for (let j = 0; j < m; j++) {
      const v = p[t * m + j]!;
      if (v > threshold[j]! && v > 0) expected.push([t, j, v]);
    }
  }
  assert.deepEqual(entries, expected);
  // More than the builder's initial rows·8 capacity, so it had to grow.
  assert.ok(entries.length > rows * 8);

  // A uniform threshold τ.
  const tau = 0.7;
  const s2 = selectAboveThreshold(p, rows, m, new Float32Array(m).fill(tau));
  const e2 = entriesOf(s2, rows, m);
  assert.equal(e2.length, Array.from(p).filter((v) => v > tau).length);
  for (const [, , v] of e2) assert.ok(v > tau);

  // float64 stays float64.
  const p64 = Float64Array.from(p, (v) => v + 1e-12);
  const s64 = selectAboveThreshold(p64, rows, m, new Float64Array(m));
  assert.ok(s64.value instanceof Float64Array);
  assertValuesFromP(entriesOf(s64, rows, m), p64, m);
});

// ---------------------------------------------------------------------------
// kthLargest

test("kthLargest agrees with sorting on random arrays, with and without duplicates", () => {
  const rng = new Rng(60, 7);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + rng.int(trial < 100 ? 40 : 3000);
    const distinctValues = trial % 3 === 0 ? 1 + rng.int(5) : 0; // every third: few distinct values
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) a[i] = distinctValues > 0 ? rng.int(distinctValues) : rng.normal();
    const sorted = Array.from(a).sort((x, y) => y - x);
    const ks = new Set([1, n, 1 + rng.int(n), 1 + rng.int(n), Math.ceil(n / 2)]);
    for (const k of ks) {
      const copy = a.slice();
      assert.equal(kthLargest(copy, k), sorted[k - 1], `n ${n}, k ${k}`);
      // It only reorders.
      assert.deepEqual(
        Array.from(copy).sort((x, y) => y - x),
        sorted,
      );
    }
  }
});

test("kthLargest on structured arrays (sorted, reversed, constant, float32)", () => {
  const n = 1000;
  const up = Float64Array.from({ length: n }, (_, i) => i);
  const down = Float64Array.from({ length: n }, (_, i) => n - i);
  const organ = Float64Array.from({ length: n }, (_, i) => Math.min(i, n - i));
  const constant = new Float64Array(n).fill(3.5);
  for (const a of [up, down, organ, constant]) {
    const sorted = Array.from(a).sort((x, y) => y - x);
    for (const k of [1, 2, 17, 500, 999, 1000]) assert.equal(kthLargest(a.slice(), k), sorted[k - 1]);
  }
  const f = Float32Array.from([0.1, -2, 7, 7, 3, -0.5]);
  assert.equal(kthLargest(f.slice(), 1), Math.fround(7));
  assert.equal(kthLargest(f.slice(), 2), Math.fround(7));
  assert.equal(kthLargest(f.slice(), 3), Math.fround(3));
  assert.equal(kthLargest(f.slice(), 6), Math.fround(-2));
  assert.equal(kthLargest(Float64Array.of(42), 1), 42);
});

test("kthLargest rejects k outside 1..length", () => {
  assert.throws(() => kthLargest(Float64Array.of(1, 2, 3), 0), RangeError);
  assert.throws(() => kthLargest(Float64Array.of(1, 2, 3), 4), /k=4 outside 1\.\.3/);
  assert.throws(() => kthLargest(new Float64Array(0), 1), RangeError);
});

// ---------------------------------------------------------------------------
// SparseBuilder

test("SparseBuilder grows past its capacity and checks the row count", () => {
  const b = new SparseBuilder(3, 1, Float64Array);
  for (let j = 0; j < 40; j++) b.push(j, j + 0.5);
  b.endRow();
  b.endRow();
  b.push(2, -1);
  b.endRow();
  const s = b.finish();
  assert.equal(s.rows, 3);
  assert.deepEqual(Array.from(s.rowStart), [0, 40, 40, 41]);
  assert.equal(s.index.length, 41);
  assert.equal(s.index[39], 39);
  assert.equal(s.value[39], 39.5);
  assert.equal(s.index[40], 2);
  assert.equal(s.value[40], -1);
  assert.ok(s.value instanceof Float64Array);

  const short = new SparseBuilder(2, 4, Float32Array);
  short.endRow();
  assert.throws(() => short.finish(), /1 rows ended, expected 2/);
});
