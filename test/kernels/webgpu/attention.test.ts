import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Gpu } from "../../../src/kernels/webgpu/gpu.js";
import { openNodeGpu } from "../../../src/kernels/webgpu/node-gpu.js";
import { type WebgpuKernels, webgpuKernelsOn } from "../../../src/kernels/webgpu/webgpu-kernels.js";
import { type AttentionShape, causalAttention } from "../../../src/transformer/causal-attention.js";
import { Rng } from "../../../src/util/rng.js";

let gpu: Gpu;
let kernels: WebgpuKernels;
before(async () => {
  gpu = await openNodeGpu({ swiftshader: true });
  kernels = webgpuKernelsOn(gpu);
});
after(() => kernels?.dispose());

/** GPU attention against the CPU's (float64 inside) to 1e-5, norm-wise. */
async function check(lengths: number[], shape: AttentionShape, size: number, seed: number): Promise<void> {
  const rows = lengths.reduce((a, b) => a + b, 0);
  const stride = (shape.heads + 2 * shape.kvHeads) * shape.headSize;
  const rng = new Rng(seed, 5);
  const qkv = Float32Array.from({ length: rows * stride }, () => size * rng.normal());
  const want = causalAttention(qkv, lengths, shape);
  const got = await kernels.causalAttention(qkv, lengths, shape);
  assert.equal(got.length, want.length);
  let err = 0;
  let norm = 0;
  for (let i = 0; i < want.length; i++) {
    err += (got[i]! - want[i]!) ** 2;
    norm += want[i]! ** 2;
  }
  const what = `${JSON.stringify(shape)} over ${lengths}`;
  assert.ok(norm > 0 && Math.sqrt(err / norm) <= 1e-5, `${what}: relative error ${Math.sqrt(err / norm)}`);
}

test("GPU causal attention matches the CPU's: grouped heads, packed sequences, soft-cap, sliding window", async () => {
  await check([1], { heads: 1, kvHeads: 1, headSize: 4 }, 1, 1);
  await check([5, 1, 17], { heads: 4, kvHeads: 2, headSize: 8 }, 1, 2);
  await check([9, 12], { heads: 3, kvHeads: 1, headSize: 6, scale: 0.3 }, 1, 3);
  // Large scores, so the soft-cap bends them and the running maximum moves often.
  await check([16, 7], { heads: 2, kvHeads: 2, headSize: 8, softcap: 5 }, 4, 4);
  await check([20, 3], { heads: 4, kvHeads: 4, headSize: 5, window: 4 }, 2, 5);
  await check([13], { heads: 2, kvHeads: 1, headSize: 16, softcap: 30, window: 6 }, 3, 6);
});
