import assert from "node:assert/strict";
import { test } from "node:test";
import { SyntheticDataset } from "../../../src/data/synthetic.js";
import { syntheticSource } from "../../../src/data/synthetic-source.js";
import { GpuError } from "../../../src/kernels/webgpu/gpu.js";
import { openNodeGpu } from "../../../src/kernels/webgpu/node-gpu.js";
import { createWebgpuKernels } from "../../../src/kernels/webgpu/node-webgpu-kernels.js";
import { resolveTrainConfig, validateTrainConfig } from "../../../src/training/train-config.js";
import { startTraining, train } from "../../../src/training/trainer.js";

// A lost device, and a step too large for the adapter: each a clear GpuError, never a result.
const synthetic = { d: 16, features: 48, meanActive: 3, seed: 5 };

test("a device lost mid-run fails the read and the training run, naming the adapter", async () => {
  const gpu = await openNodeGpu({ swiftshader: true });
  const b = gpu.upload("some values", new Float32Array([1, 2, 3]));
  gpu.device.destroy(); // as a driver reset would
  await new Promise((resolve) => setTimeout(resolve, 10));
  await assert.rejects(gpu.read(b), (e: Error) => {
    assert.ok(e instanceof GpuError, String(e));
    assert.match(e.message, /was lost/);
    assert.ok(e.message.includes(gpu.adapterName), e.message);
    return true;
  });

  const kernels = await createWebgpuKernels({ swiftshader: true });
  const source = syntheticSource(new SyntheticDataset(synthetic));
  const config = resolveTrainConfig(
    validateTrainConfig({ m: 32, k: 4, batchSize: 64, steps: 20, logEvery: 1 }, "test"),
    source.d,
  );
  const { sae, state } = await startTraining(config, source);
  const before = sae.params.encoder.slice();
  const hooks = {
    onMetrics: (m: { step: number }) => (m.step === 3 ? kernels.gpu.device.destroy() : undefined),
  };
  await assert.rejects(train(sae, state, source, config, kernels, hooks), /was lost.*--resume/);
  assert.ok(state.step < config.steps, "the run did not claim to finish");
  assert.deepEqual(sae.params.encoder, before, "the host's W_enc is the last one synced, not a partial read");
  await kernels.dispose();
});

test("a step larger than the adapter's largest buffer is refused before it starts, with the sizes", async () => {
  const kernels = await createWebgpuKernels({ swiftshader: true });
  const limit = kernels.gpu.limit("maxStorageBufferBindingSize");
  const source = syntheticSource(new SyntheticDataset(synthetic));
  const batchSize = 1024;
  const m = Math.ceil(limit / 4 / batchSize) + 16; // the score matrix [B, m] just over one binding
  const config = resolveTrainConfig(
    validateTrainConfig({ m, k: 4, batchSize, steps: 2, initTokens: batchSize }, "test"),
    source.d,
  );
  const { sae, state } = await startTraining(config, source);
  const held = kernels.gpu.bytesInUse;
  await assert.rejects(train(sae, state, source, config, kernels), (e: Error) => {
    assert.ok(e instanceof GpuError, String(e));
    assert.match(e.message, new RegExp(`score matrix \\[${batchSize}, ${m}\\]`));
    assert.match(e.message, /largest storage buffer/);
    assert.ok(e.message.includes(kernels.gpu.adapterName), e.message);
    return true;
  });
  assert.equal(state.step, 0);
  assert.equal(kernels.gpu.bytesInUse, held, "the buffers made before the refusal are freed");
  await kernels.dispose();
});
