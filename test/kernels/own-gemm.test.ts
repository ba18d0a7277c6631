import assert from "node:assert/strict";
import { test } from "node:test";
import { createNativeKernels } from "../../src/kernels/native.js";
import { loadNativeAddon } from "../../src/kernels/native-addon.js";
import { Rng } from "../../src/util/rng.js";

/** cosae's own sgemm (native/gemm.cc), tested on every build whichever product denseScores uses. */
const { addon, reason } = loadNativeAddon();
const skip = addon ? false : `native addon unavailable: ${reason}`;

function random(n: number, seed: number): Float32Array {
  const rng = new Rng(seed, 3);
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** out = x · wᵀ by a plain triple loop in float64, and Σ|x_k w_k| per element (the rounding scale). */
function tripleLoop(x: Float32Array, w: Float32Array, rows: number, d: number, m: number) {
  const out = new Float64Array(rows * m);
  const scale = new Float64Array(rows * m);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < m; j++) {
      let s = 0;
      let a = 0;
      for (let k = 0; k < d; k++) {
        const p = x[i * d + k]! * w[j * d + k]!;
        s += p;
        a += Math.abs(p);
      }
      out[i * m + j] = s;
      scale[i * m + j] = a;
    }
  return { out, scale };
}

test("cosae's own sgemm matches a plain triple loop on shapes that cut every tile and k-block", {
  skip,
}, () => {
  assert.ok(addon);
  // rows and m around the tiles (14 × 32 with AVX-512, 6 × 16 portable); d with k-block remainders (384 at most).
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 7, 1],
    [1, 385, 97],
    [13, 1, 33],
    [15, 50, 1],
    [29, 770, 31],
    [43, 129, 65],
    [6, 384, 16],
  ];
  for (const [rows, d, m] of shapes) {
    const x = random(rows * d, rows * 1000 + d);
    const w = random(m * d, m * 1000 + d + 1);
    // Canary values past the end of out: the edge tiles must not write there.
    const out = new Float32Array(rows * m + 8).fill(7);
    addon.ownDenseScores(x, w, rows, d, m, out.subarray(0, rows * m));
    const want = tripleLoop(x, w, rows, d, m);
    for (let e = 0; e < rows * m; e++)
      assert.ok(
        Math.abs(out[e]! - want.out[e]!) <= 1e-5 * want.scale[e]! + 1e-30,
        `${rows}×${d}·(${m}×${d})ᵀ [${e}]: ${out[e]} vs ${want.out[e]}`,
      );
    assert.deepEqual(
      Array.from(out.subarray(rows * m)),
      new Array(8).fill(7),
      `${rows}×${d}×${m}: wrote past out`,
    );
  }
});

test("cosae's own sgemm gives the same bits on 1 thread and 2, and overwrites what out held", {
  skip,
}, () => {
  assert.ok(addon);
  const [rows, d, m] = [300, 200, 1000]; // enough w panels to split between two threads
  const x = random(rows * d, 1);
  const w = random(m * d, 2);
  const threads = addon.setThreads(1);
  const one = new Float32Array(rows * m).fill(Number.NaN);
  addon.ownDenseScores(x, w, rows, d, m, one);
  addon.setThreads(2);
  const two = new Float32Array(rows * m).fill(Number.NaN);
  addon.ownDenseScores(x, w, rows, d, m, two);
  addon.setThreads(threads);
  assert.deepEqual(new Uint32Array(two.buffer), new Uint32Array(one.buffer));
  assert.ok(one.every(Number.isFinite));
});

test("the native kernels name the product the addon was built with", { skip }, () => {
  assert.ok(addon);
  assert.ok(addon.gemm === "openblas" || addon.gemm === "cosae", `addon.gemm is ${addon.gemm}`);
  assert.ok(addon.ownGemmKernel === "avx512" || addon.ownGemmKernel === "portable");
  const { kernels, gemm } = createNativeKernels(2);
  assert.equal(gemm, addon.gemm);
  assert.match(
    kernels?.name ?? "",
    addon.gemm === "openblas" ? /^native-openblas\(/ : /^native-cosae-gemm\(/,
  );
});
