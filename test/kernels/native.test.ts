import assert from "node:assert/strict";
import { test } from "node:test";
import { adamMoments } from "../../src/kernels/adam.js";
import type { SparseRows } from "../../src/kernels/arrays.js";
import type { Kernels } from "../../src/kernels/kernels.js";
import { createNativeKernels } from "../../src/kernels/native.js";
import { loadNativeAddon } from "../../src/kernels/native-addon.js";
import { referenceKernels as ref } from "../../src/kernels/reference.js";
import { Rng } from "../../src/util/rng.js";
import { requirePart, skipWhenMissing } from "../helpers/optional-part.js";

/**
 * What only the native kernels have (their agreement with the reference is
 * test/kernels/agreement.test.ts). Skips only when the addon is not built (never under CI=true).
 */
const { kernels: native, reason } = createNativeKernels(2);
const skip = skipWhenMissing("native addon", native ? null : reason);
function nat(): Kernels {
  return requirePart("native addon", native, reason);
}

function random(n: number, seed: number, shift = 0): Float32Array {
  const rng = new Rng(seed, 7);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() + shift;
  return a;
}

test("native huge-page advice covers whole 2 MiB pages inside the array only", { skip }, () => {
  const loaded = loadNativeAddon();
  const addon = requirePart("native addon", loaded.addon, loaded.reason);
  const a = new Float32Array(3 << 20); // 12 MiB, not yet written
  const advised = addon.adviseHugePages(a);
  assert.equal(advised % (2 << 20), 0);
  assert.ok(advised <= a.byteLength);
  a[a.length - 1] = 1;
  assert.equal(a[0], 0);
  assert.equal(a[a.length - 1], 1);
  assert.equal(addon.adviseHugePages(new Float32Array(16)), 0);
  assert.throws(() => addon.adviseHugePages([1, 2] as unknown as Float32Array), /typed array/);
});

test("the latent backward gives the same bits in latent blocks as latent by latent", { skip }, () => {
  // Many entries per token take the blocked path; spreading the same tokens over
  // ten times as many rows (the others empty) takes the latent-by-latent one.
  const [rows, m, d, spread] = [60, 90, 40, 10];
  const dense = ref.selectTopK(random(rows * m, 80, 0.3), rows, m, 12);
  const rowStart = new Int32Array(rows * spread + 1);
  for (let t = 0; t < rows * spread; t++) rowStart[t + 1] = dense.rowStart[Math.floor(t / spread) + 1]!;
  for (let t = 0; t < rows; t++) rowStart[t * spread] = dense.rowStart[t]!;
  const sparse = { ...dense, rows: rows * spread, rowStart };
  const n = dense.rowStart[rows]!;
  const upstream = random(rows * d, 81);
  const xc = random(rows * d, 82);
  const spreadRows = (a: Float32Array) => {
    const out = new Float32Array(rows * spread * d);
    for (let t = 0; t < rows; t++) out.set(a.subarray(t * d, (t + 1) * d), t * spread * d);
    return out;
  };
  const shared = {
    decoder: random(m * d, 83),
    decoderCoef: random(n, 84),
    encoder: random(m * d, 85),
    encoderScale: Float64Array.from(random(n, 86)),
  };
  const run = (codes: SparseRows, g: Float32Array, x: Float32Array) => {
    const out = {
      gradDecoder: random(m * d, 87),
      gradEncoder: random(m * d, 88),
      upstreamDot: new Float64Array(n),
      encoderDot: new Float64Array(n),
    };
    nat().latentBackward(nat().transposeCodes(codes, m), { ...shared, upstream: g, xc: x, ...out }, d, false);
    return out;
  };
  assert.deepEqual(run(dense, upstream, xc), run(sparse, spreadRows(upstream), spreadRows(xc)));
});

test("native kernels reject arrays that are too short instead of reading past them", { skip }, () => {
  assert.throws(() => nat().selectTopK(new Float32Array(10), 4, 4, 1), /too short/);
});

test("the native fused decoder step leaves ∂W_dec as it was", { skip }, () => {
  const [m, d] = [60, 40];
  const decoder = random(m * d, 40);
  nat().normaliseRows(decoder, d);
  const grad = random(m * d, 41);
  const kept = grad.slice();
  nat().adamUpdateOnSphere(decoder, grad, adamMoments(m * d), 1, 1e-3, d);
  assert.deepEqual(grad, kept);
});
