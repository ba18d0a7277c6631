import assert from "node:assert/strict";
import { test } from "node:test";
import { encode, openKernels } from "../../src/index.js";
import { cloneSae } from "../../src/model/sae.js";
import { randomSae } from "../helpers/random-sae.js";

test('openKernels({ kind: "webgpu" }) opens the GPU set (SwiftShader here), and encode gives the CPU codes with it', async () => {
  process.env.COSAE_WEBGPU_ADAPTER = "swiftshader";
  const gpu = await openKernels({ kind: "webgpu" });
  const cpu = await openKernels({ kind: "onnxruntime", threads: 1 });
  try {
    assert.match(gpu.name, /^webgpu \(.*swiftshader/i);
    const sae = cloneSae(randomSae({ d: 12, m: 40, k: 3 }, 5), Float32Array);
    const rows = 9;
    const x = Float32Array.from({ length: rows * 12 }, (_, i) => Math.sin(i * 0.7) + 0.3);
    const onGpu = await encode(sae, x, rows, { kernels: gpu });
    const onCpu = await encode(sae, x, rows, { kernels: cpu });
    assert.deepEqual([...onGpu.index], [...onCpu.index]);
    for (let i = 0; i < onCpu.value.length; i++)
      assert.ok(Math.abs(onGpu.value[i]! - onCpu.value[i]!) <= 1e-5 * Math.abs(onCpu.value[i]!) + 1e-6);
  } finally {
    await gpu.dispose();
    await cpu.dispose();
  }
});
