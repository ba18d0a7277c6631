import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { referenceDenseScores } from "../../../src/kernels/reference.js";
import type { Gpu } from "../../../src/kernels/webgpu/gpu.js";
import { openNodeGpu } from "../../../src/kernels/webgpu/node-gpu.js";
import {
  contentFingerprint,
  type WebgpuKernels,
  webgpuKernelsOn,
} from "../../../src/kernels/webgpu/webgpu-kernels.js";
import { Rng } from "../../../src/util/rng.js";

let gpu: Gpu;
let kernels: WebgpuKernels;
before(async () => {
  gpu = await openNodeGpu({ swiftshader: true });
  // Blocks of at most 2 KiB bound at once: 512 floats, so [rows, 40] scores go 12 rows at a time.
  kernels = webgpuKernelsOn(gpu, { maxBlockBytes: 2048 });
});
after(() => kernels?.dispose());

function random(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let err = 0;
  let norm = 0;
  for (let i = 0; i < want.length; i++) {
    err += (got[i]! - want[i]!) ** 2;
    norm += want[i]! ** 2;
  }
  assert.ok(Math.sqrt(err) <= 1e-5 * Math.sqrt(norm), `${what}: relative error ${Math.sqrt(err / norm)}`);
}

test("a weight matrix changed in place is uploaded again (the device copy is keyed by its contents)", async () => {
  const [rows, d, m] = [6, 10, 40];
  const rng = new Rng(3, 2);
  const x = random(rows * d, rng);
  const w = random(m * d, rng);
  const before = Float32Array.from(await kernels.denseScores(x, w, rows, d, m));
  assertClose(before, referenceDenseScores(Float64Array.from(x), Float64Array.from(w), rows, d, m), "first");
  w[m * d - 1]! += 1; // one element of the last row
  const afterChange = await kernels.denseScores(x, w, rows, d, m);
  assertClose(
    afterChange,
    referenceDenseScores(Float64Array.from(x), Float64Array.from(w), rows, d, m),
    "changed",
  );
  assert.notEqual(afterChange[m - 1], before[m - 1]);
});

test("scores beyond one binding are computed a block of rows at a time", async () => {
  const [rows, d, m] = [37, 9, 40];
  const rng = new Rng(4, 2);
  const x = random(rows * d, rng);
  const w = random(m * d, rng);
  const got = await kernels.denseScores(x, w, rows, d, m);
  assertClose(got, referenceDenseScores(Float64Array.from(x), Float64Array.from(w), rows, d, m), "blocks");
});

test("the weights' fingerprint changes when any one value changes, in any lane and in the tail", () => {
  const w = Float32Array.from({ length: 23 }, (_, i) => Math.cos(i));
  const base = contentFingerprint(w);
  for (let i = 0; i < w.length; i++) {
    const changed = w.slice();
    changed[i] = changed[i]! + 2 ** -20;
    assert.notEqual(contentFingerprint(changed), base, `element ${i}`);
  }
  assert.notEqual(contentFingerprint(w.subarray(0, 22)), base, "length");
});
