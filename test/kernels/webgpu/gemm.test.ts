import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { referenceDenseScores } from "../../../src/kernels/reference.js";
import { encodeScores, gemmTile } from "../../../src/kernels/webgpu/gemm.js";
import type { Gpu } from "../../../src/kernels/webgpu/gpu.js";
import { openNodeGpu } from "../../../src/kernels/webgpu/node-gpu.js";
import { Rng } from "../../../src/util/rng.js";

let gpu: Gpu;
before(async () => {
  gpu = await openNodeGpu({ swiftshader: true });
});
after(() => gpu?.destroy());

function random(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() + 0.1);
}

/** X·Wᵀ on the GPU against the float64 product: ‖gpu − ref‖ / ‖ref‖ ≤ 1e-5, and each element within 1e-5 of Σ|x w|. */
async function check(rows: number, d: number, m: number, seed: number): Promise<void> {
  const rng = new Rng(seed, 11);
  const x = random(rows * d, rng);
  const w = random(m * d, rng);
  const xb = gpu.upload("X", x);
  const wb = gpu.upload("W", w);
  const out = gpu.createBuffer("scores", rows * m * 4);
  // A stale value in `out` must be overwritten, not added to.
  gpu.write(out, new Float32Array(rows * m).fill(7));
  encodeScores(gpu, xb, wb, out, rows, d, m);
  const got = await gpu.readFloat32(out, rows * m);
  const want = referenceDenseScores(Float64Array.from(x), Float64Array.from(w), rows, d, m);
  let err = 0;
  let norm = 0;
  for (let t = 0; t < rows; t++) {
    for (let j = 0; j < m; j++) {
      const i = t * m + j;
      err += (got[i]! - want[i]!) ** 2;
      norm += want[i]! ** 2;
      let scale = 0;
      for (let c = 0; c < d; c++) scale += Math.abs(x[t * d + c]! * w[j * d + c]!);
      assert.ok(
        Math.abs(got[i]! - want[i]!) <= 1e-5 * scale + 1e-30,
        `[${rows}, ${d}, ${m}] at (${t}, ${j})`,
      );
    }
  }
  assert.ok(Math.sqrt(err) <= 1e-5 * Math.sqrt(norm) + 1e-30, `[${rows}, ${d}, ${m}]: relative error`);
  for (const b of [xb, wb, out]) gpu.release(b);
}

test("the tiled score product matches the float64 product at odd shapes, vec4 and scalar loads", async () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 7, 1],
    [3, 5, 2],
    [1, 12, 130],
    [37, 50, 129],
    [gemmTile + 3, 9, 5],
    [64, 32, 128],
    [17, 33, 31],
    [5, 20, gemmTile * 2 + 1],
  ];
  for (const [i, [rows, d, m]] of shapes.entries()) await check(rows, d, m, i + 1);
});

test("the score product gives the same bits when run again", async () => {
  const [rows, d, m] = [20, 28, 40];
  const rng = new Rng(5, 1);
  const xb = gpu.upload("X", random(rows * d, rng));
  const wb = gpu.upload("W", random(m * d, rng));
  const out = gpu.createBuffer("scores", rows * m * 4);
  encodeScores(gpu, xb, wb, out, rows, d, m);
  const first = await gpu.readUint32(out, rows * m);
  gpu.clear(out);
  encodeScores(gpu, xb, wb, out, rows, d, m);
  assert.deepEqual(await gpu.readUint32(out, rows * m), first);
});

test("a product larger than its buffers is refused with the sizes", async () => {
  const xb = gpu.createBuffer("X", 4 * 4 * 8);
  const wb = gpu.createBuffer("W", 4 * 4 * 8);
  const out = gpu.createBuffer("scores", 4 * 4 * 4);
  assert.throws(() => encodeScores(gpu, xb, wb, out, 4, 8, 5), /X\[4, 8\] and W\[5, 8\]/);
});
