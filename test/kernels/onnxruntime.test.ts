import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { FloatArray } from "../../src/kernels/arrays.js";
import type { Kernels } from "../../src/kernels/kernels.js";
import { createOnnxruntimeKernels } from "../../src/kernels/onnxruntime.js";
import { referenceDenseScores } from "../../src/kernels/reference.js";
import { Rng } from "../../src/util/rng.js";

let kernels: Kernels | undefined;

before(async () => {
  kernels = await createOnnxruntimeKernels(2);
});
after(async () => {
  await kernels?.dispose();
});

function ort(): Kernels {
  assert.ok(kernels, "kernels not created");
  return kernels;
}

function randomF32(n: number, seed: number): Float32Array {
  const rng = new Rng(seed, 3);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() + 0.2;
  return a;
}

/**
 * `got` = X·Wᵀ within relative 1e-5 of the float64 product, the error measured
 * against Σ_c |x_c w_c| (the size of the terms summed, so cancellation is fair).
 */
function assertMatchesReference(
  got: FloatArray,
  x: Float32Array,
  w: Float32Array,
  rows: number,
  d: number,
  m: number,
) {
  assert.equal(got.length, rows * m, `result length for ${rows}×${d}·(${m}×${d})ᵀ`);
  const want = referenceDenseScores(Float64Array.from(x), Float64Array.from(w), rows, d, m);
  for (let t = 0; t < rows; t++) {
    for (let j = 0; j < m; j++) {
      let scale = 0;
      for (let c = 0; c < d; c++) scale += Math.abs(x[t * d + c]! * w[j * d + c]!);
      const g = got[t * m + j]!;
      const e = want[t * m + j]!;
      assert.ok(
        Math.abs(g - e) <= 1e-5 * scale + 1e-30,
        `${rows}×${d}·(${m}×${d})ᵀ at (${t}, ${j}): got ${g}, reference ${e} (scale ${scale})`,
      );
    }
  }
}

test("onnxruntime denseScores matches the float64 reference on several shapes", async () => {
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [1, 16, 64],
    [3, 5, 7],
    [64, 128, 256],
    [33, 200, 97],
    [257, 64, 512],
  ];
  let seed = 1;
  for (const [rows, d, m] of shapes) {
    const x = randomF32(rows * d, seed++);
    const w = randomF32(m * d, seed++);
    const got = await ort().denseScores(x, w, rows, d, m);
    assert.ok(got instanceof Float32Array, "float32 in, float32 out");
    assertMatchesReference(got, x, w, rows, d, m);
  }
});

test("onnxruntime denseScores stays right when the shape changes between calls", async () => {
  const k = ort();
  // [rows, d, m]: sizes that change, and pairs with the same rows·m but another shape (buffer reuse).
  const sequence: Array<[number, number, number]> = [
    [4, 6, 8],
    [1, 6, 8],
    [8, 6, 4],
    [8, 3, 4],
    [2, 9, 16],
    [4, 6, 8],
    [1, 6, 8],
    [1, 1, 32],
  ];
  let seed = 100;
  const results: Float32Array[] = [];
  for (const [rows, d, m] of sequence) {
    const x = randomF32(rows * d, seed++);
    const w = randomF32(m * d, seed++);
    const got = await k.denseScores(x, w, rows, d, m);
    assertMatchesReference(got, x, w, rows, d, m);
    results.push(Float32Array.from(got)); // callers keep copies: the kernel may reuse its buffer
  }
  // Same inputs again, in another order: the same products (nothing stale from the calls between).
  seed = 100;
  const inputs = sequence.map(
    ([rows, d, m]) => [randomF32(rows * d, seed++), randomF32(m * d, seed++)] as const,
  );
  for (const i of [7, 3, 0, 2]) {
    const [rows, d, m] = sequence[i]!;
    const [x, w] = inputs[i]!;
    const got = await k.denseScores(x, w, rows, d, m);
    assertMatchesReference(got, x, w, rows, d, m);
    assert.equal(got.length, results[i]!.length);
    for (let e = 0; e < got.length; e++) {
      assert.ok(
        Math.abs(got[e]! - results[i]![e]!) <= 1e-5 * (1 + Math.abs(results[i]![e]!)),
        `call ${i}, entry ${e}`,
      );
    }
  }
});

test("onnxruntime denseScores uses only the first rows of a longer X", async () => {
  const rows = 5;
  const d = 12;
  const m = 20;
  const x = randomF32((rows + 7) * d, 200);
  const w = randomF32(m * d, 201);
  const got = await ort().denseScores(x, w, rows, d, m);
  assertMatchesReference(got, x.subarray(0, rows * d), w, rows, d, m);
});

test("onnxruntime denseScores falls back to the reference product for float64 input", async () => {
  const rows = 6;
  const d = 10;
  const m = 14;
  const rng = new Rng(300, 3);
  const x = Float64Array.from({ length: rows * d }, () => rng.normal() + 1e-9);
  const w = Float64Array.from({ length: m * d }, () => rng.normal() - 1e-9);
  const got = await ort().denseScores(x, w, rows, d, m);
  assert.ok(got instanceof Float64Array, "float64 in, float64 out");
  assert.deepEqual(
    Array.from(got),
    Array.from(referenceDenseScores(x, w, rows, d, m)),
    "bit-exact reference",
  );

  // Mixed precision also takes the reference path (in X's precision).
  const x32 = Float32Array.from(x);
  const mixed = await ort().denseScores(x32, w, rows, d, m);
  assert.ok(mixed instanceof Float32Array);
  assert.deepEqual(Array.from(mixed), Array.from(referenceDenseScores(x32, w, rows, d, m)));

  // And a float32 call afterwards is still right.
  const w32 = Float32Array.from(w);
  assertMatchesReference(await ort().denseScores(x32, w32, rows, d, m), x32, w32, rows, d, m);
});
