import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { SyntheticDataset } from "../../src/data/synthetic.js";
import { syntheticSource } from "../../src/data/synthetic-source.js";
import type { Kernels } from "../../src/kernels/kernels.js";
import { referenceKernels } from "../../src/kernels/reference.js";
import { createWebgpuKernels } from "../../src/kernels/webgpu/node-webgpu-kernels.js";
import type { WebgpuKernels } from "../../src/kernels/webgpu/webgpu-kernels.js";
import { paramNames, type Sae } from "../../src/model/sae.js";
import { resolveTrainConfig, validateTrainConfig } from "../../src/training/train-config.js";
import { type StepMetrics, startTraining, type TrainerState, train } from "../../src/training/trainer.js";

// The device trainer (src/training/device/) against the host one, on SwiftShader: tiny shapes.
const synthetic = { d: 16, features: 48, meanActive: 3, seed: 5 };
const small = { m: 64, k: 4, batchSize: 64, lr: 3e-3, logEvery: 10, auxkCoef: 1 / 32, deadTokens: 256 };
let gpu: WebgpuKernels;

before(async () => {
  gpu = await createWebgpuKernels({ swiftshader: true });
});
after(async () => {
  await gpu?.dispose();
});

async function run(
  kernels: Kernels,
  overrides: Record<string, unknown>,
): Promise<{ sae: Sae; state: TrainerState; metrics: StepMetrics[] }> {
  const source = syntheticSource(new SyntheticDataset(synthetic));
  const config = resolveTrainConfig(validateTrainConfig({ ...small, ...overrides }, "test"), source.d);
  const { sae, state } = await startTraining(config, source);
  const metrics: StepMetrics[] = [];
  await train(sae, state, source, config, kernels, { onMetrics: (m) => metrics.push(m) });
  return { sae, state, metrics };
}

function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

const cases = [
  { score: "inner" },
  { score: "cosine", reweight: "equalize" },
  { score: "blend-feature", decode: "equivariant" },
  { score: "blend", activation: "topk" },
];

for (const c of cases) {
  test(`${JSON.stringify(c)}: 300 steps on the GPU end within float tolerance of the host run`, async () => {
    const host = await run(referenceKernels, { ...c, steps: 300 });
    const device = await run(gpu, { ...c, steps: 300 });
    for (const name of paramNames) {
      if (host.sae.params[name].length === 0) continue;
      const diff = relativeDifference(device.sae.params[name], host.sae.params[name]);
      assert.ok(diff < 1e-3, `${name}: relative difference ${diff}`);
    }
    const last = (r: typeof host) => r.metrics.at(-1)!;
    assert.ok(Math.abs(last(device).fvu - last(host).fvu) < 1e-3 * last(host).fvu, "final batch FVU");
    assert.ok(Math.abs(device.sae.constants.threshold / host.sae.constants.threshold - 1) < 1e-3, "τ");
  });
}

test("the same seed gives the same bits on the same adapter", async () => {
  const a = await run(gpu, { score: "blend-feature", steps: 30 });
  const b = await run(gpu, { score: "blend-feature", steps: 30 });
  for (const name of paramNames) assert.deepEqual(a.sae.params[name], b.sae.params[name], name);
  for (const name of paramNames)
    assert.deepEqual(a.state.moments[name], b.state.moments[name], `${name} moments`);
});
