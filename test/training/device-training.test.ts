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
// SwiftShader runs a step in about 0.1 s at this size, so the runs are short but for one. lr 1e-3
// keeps them clear of near-ties in the selection: at lr 3e-3 one entry flips after about 90
// steps (two scores within float32 rounding of each other), and from there the runs go their
// own ways, as two CPU runs summing in different orders would.
const small = { m: 64, k: 4, batchSize: 64, lr: 1e-3, logEvery: 1, auxkCoef: 1 / 32, deadTokens: 128 };
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
  { score: "blend-feature", decode: "equivariant", reweight: "equalize", steps: 200 },
  { score: "inner", steps: 40 },
  { score: "cosine", reweight: "equalize", steps: 40 },
  { score: "blend", activation: "topk", steps: 40 },
  { score: "cosine", cosineOf: "uncentred", clipGradNorm: 0.05, steps: 40 },
];

for (const c of cases) {
  test(`${JSON.stringify(c)}: the GPU run ends within float tolerance of the host run`, async () => {
    const host = await run(referenceKernels, c);
    const device = await run(gpu, c);
    host.metrics.forEach((h, i) => {
      const g = device.metrics[i]!;
      // 1e-4: the GPU sums in float32 where the host uses float64 (each pass agrees to ~1e-7), and
      // Adam turns a gradient's rounding into a step of up to lr wherever the gradient is near 0;
      // inner's first steps, where the loss jumps between 10 and 45, amplify that to 7e-5 by step 14.
      assert.ok(Math.abs(g.loss / h.loss - 1) < 1e-4, `step ${h.step}: loss ${g.loss} vs ${h.loss}`);
      assert.equal(g.l0, h.l0, `step ${h.step}: L0`);
      assert.equal(g.deadFraction, h.deadFraction, `step ${h.step}: dead fraction`);
    });
    assert.ok(
      host.metrics.some((h) => h.auxLoss > 0) === device.metrics.some((g) => g.auxLoss > 0),
      "AuxK ran on both or neither",
    );
    for (const name of paramNames) {
      if (host.sae.params[name].length === 0) continue;
      const diff = relativeDifference(device.sae.params[name], host.sae.params[name]);
      assert.ok(diff < 1e-3, `${name}: relative difference ${diff}`);
    }
    const tau = [device.sae.constants.threshold, host.sae.constants.threshold];
    assert.ok(Math.abs(tau[0]! - tau[1]!) <= 1e-5 * Math.abs(tau[1]!), `τ ${tau[0]} vs ${tau[1]}`);
  });
}

test("the same seed gives the same bits on the same adapter", async () => {
  const a = await run(gpu, { score: "blend-feature", steps: 15 });
  const b = await run(gpu, { score: "blend-feature", steps: 15 });
  for (const name of paramNames) assert.deepEqual(a.sae.params[name], b.sae.params[name], name);
  for (const name of paramNames)
    assert.deepEqual(a.state.moments[name], b.state.moments[name], `${name} moments`);
});

test("a GPU run stopped and resumed gives the uninterrupted run's result", async () => {
  const overrides = { score: "blend-feature", steps: 30 };
  const whole = await run(gpu, overrides);
  const source = syntheticSource(new SyntheticDataset(synthetic));
  const config = resolveTrainConfig(validateTrainConfig({ ...small, ...overrides }, "test"), source.d);
  const { sae, state } = await startTraining(config, source);
  const stopped = await train(sae, state, source, config, gpu, { shouldStop: () => state.step === 13 });
  assert.equal(stopped.stopped, true);
  await train(sae, state, source, config, gpu);
  for (const name of paramNames) assert.deepEqual(sae.params[name], whole.sae.params[name], name);
  assert.equal(sae.constants.threshold, whole.sae.constants.threshold);
});
