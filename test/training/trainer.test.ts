import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { SyntheticDataset } from "../../src/data/synthetic.js";
import { syntheticSource } from "../../src/data/synthetic-source.js";
import { meanL0 } from "../../src/evaluation/firing.js";
import { readSaeFolder } from "../../src/io/sae-folder.js";
import type { Kernels } from "../../src/kernels/kernels.js";
import { createNativeKernels } from "../../src/kernels/native.js";
import { createOnnxruntimeKernels } from "../../src/kernels/onnxruntime.js";
import { referenceKernels } from "../../src/kernels/reference.js";
import { reconstruct } from "../../src/model/forward.js";
import { backwardTraining, forwardTraining } from "../../src/model/loss.js";
import { allocateParams, paramNames, type Sae } from "../../src/model/sae.js";
import { Workspace } from "../../src/model/workspace.js";
import { type RunSpec, trainRun, validateRunSpec } from "../../src/training/run-folder.js";
import { resolveTrainConfig, validateTrainConfig } from "../../src/training/train-config.js";
import { startTraining, train } from "../../src/training/trainer.js";
import { requirePart, skipWhenMissing } from "../helpers/optional-part.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const synthetic = { d: 16, features: 48, meanActive: 3, seed: 3 };
const small = { m: 64, k: 4, batchSize: 256, lr: 3e-3, logEvery: 5 };
// Training runs on the kernels the CLI would choose: native when the addon is built, else onnxruntime.
const native = createNativeKernels(2);
let onnxruntime: Kernels;
let kernels: Kernels;
const dir = useTemporaryFolder("cosae-trainer-");

before(async () => {
  onnxruntime = await createOnnxruntimeKernels(2);
  kernels = native.kernels ?? onnxruntime;
});
after(async () => {
  await onnxruntime.dispose();
  await native.kernels?.dispose();
});

function spec(overrides: Record<string, unknown>): RunSpec {
  return validateRunSpec({ ...small, ...overrides, data: { synthetic } }, "test");
}

async function trainInMemory(overrides: Record<string, unknown>): Promise<Sae> {
  const dataset = new SyntheticDataset(synthetic);
  const source = syntheticSource(dataset);
  const config = resolveTrainConfig(validateTrainConfig({ ...small, ...overrides }, "test"), source.d);
  const { sae, state } = await startTraining(config, source);
  await train(sae, state, source, config, kernels);
  return sae;
}

test("after training: τ gives a held-out L0 within 10% of k, decoder rows are unit, α stays in [0, 1]", async () => {
  for (const score of ["inner", "blend-feature"] as const) {
    const sae = await trainInMemory({ score, steps: 400 });
    const dataset = new SyntheticDataset(synthetic);
    const held = dataset.batch("eval", 0, 8192);
    const { codes } = await reconstruct(sae, held.x, 8192, kernels);
    const l0 = meanL0(codes);
    assert.ok(Math.abs(l0 - small.k) <= 0.1 * small.k, `${score}: held-out L0 ${l0} vs k ${small.k}`);
    const { d, m } = sae.config;
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += sae.params.decoder[j * d + c]! ** 2;
      assert.ok(Math.abs(Math.sqrt(s) - 1) < 1e-5, `${score}: decoder row ${j} has norm ${Math.sqrt(s)}`);
    }
    for (const a of sae.params.alpha) assert.ok(a >= 0 && a <= 1, `α = ${a}`);
    assert.ok(sae.constants.threshold > 0);
  }
});

test("by default (α₀ = 0) a blend family starts as the cosine model it contains", async () => {
  const dataset = new SyntheticDataset(synthetic);
  const source = syntheticSource(dataset);
  const start = async (score: string, decode: string) => {
    const config = resolveTrainConfig(validateTrainConfig({ ...small, score, decode }, "test"), source.d);
    const { sae } = await startTraining(config, source);
    const x = await source.trainBatch(0, small.batchSize);
    return forwardTraining(sae, x, small.batchSize, kernels, { reweight: "none", auxk: null });
  };
  for (const decode of ["plain", "equivariant"]) {
    const cosine = await start("cosine", decode);
    for (const score of ["blend", "blend-feature"]) {
      const blend = await start(score, decode);
      assert.equal(blend.loss, cosine.loss, `${score}-${decode}: the first step's loss`);
      assert.deepEqual(
        blend.codes.index,
        cosine.codes.index,
        `${score}-${decode}: the first step's selection`,
      );
    }
  }
});

test("training is deterministic: the same config gives bit-identical parameters", async () => {
  const a = await trainInMemory({ score: "blend", steps: 30 });
  const b = await trainInMemory({ score: "blend", steps: 30 });
  for (const name of paramNames) assert.deepEqual(a.params[name], b.params[name], name);
  assert.equal(a.constants.threshold, b.constants.threshold);
  const c = await trainInMemory({ score: "blend", steps: 30, seed: 1 });
  assert.notDeepEqual(a.params.encoder, c.params.encoder, "another seed gives another SAE");
});

test("a run killed after a checkpoint resumes to exactly the uninterrupted result", async () => {
  const config = {
    score: "blend-feature",
    steps: 60,
    checkpointEvery: 20,
    auxkCoef: 1 / 32,
    deadTokens: 512,
  };
  const straight = join(dir(), "straight");
  await trainRun(straight, spec(config), { resume: false, kernels });

  const killed = join(dir(), "killed");
  await assert.rejects(
    trainRun(killed, spec(config), {
      resume: false,
      kernels,
      onMetrics: (m) => {
        if (m.step === 35) throw new Error("simulated kill");
      },
    }),
    /simulated kill/,
  );
  const latest = JSON.parse(await readFile(join(killed, "checkpoints", "latest.json"), "utf8"));
  assert.equal(latest.step, 20, "the last complete checkpoint is at step 20");
  await trainRun(killed, null, { resume: true, kernels });

  const a = await readSaeFolder(join(straight, "sae"));
  const b = await readSaeFolder(join(killed, "sae"));
  for (const name of paramNames) assert.deepEqual(b.sae.params[name], a.sae.params[name], name);
  assert.equal(b.sae.constants.threshold, a.sae.constants.threshold);
  const weights = (run: string) => readFile(join(run, "sae", "sae_weights.safetensors"));
  assert.deepEqual(await weights(killed), await weights(straight), "weights files are byte-identical");
  const losses = async (run: string) =>
    (await readFile(join(run, "metrics.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => {
        const { step, loss, threshold } = JSON.parse(l);
        return { step, loss, threshold };
      });
  assert.deepEqual(
    await losses(killed),
    await losses(straight),
    "metrics.jsonl reads like the uninterrupted run",
  );
});

test("a new run refuses a folder that already holds one; resume refuses an empty folder", async () => {
  const run = join(dir(), "twice");
  await trainRun(run, spec({ steps: 2 }), { resume: false, kernels });
  await assert.rejects(trainRun(run, spec({ steps: 2 }), { resume: false, kernels }), /already holds a run/);
  await assert.rejects(
    trainRun(join(dir(), "nothing"), null, { resume: true, kernels }),
    /nothing to resume/,
  );
});

/** Loss and every gradient of `candidate` within 1e-5 relative of the reference kernels, for each score, with AuxK active. */
async function assertAgreesWithReference(candidate: Kernels): Promise<void> {
  const dataset = new SyntheticDataset(synthetic);
  const source = syntheticSource(dataset);
  for (const score of ["inner", "cosine", "blend", "blend-feature"] as const) {
    const config = resolveTrainConfig(validateTrainConfig({ ...small, score, steps: 10 }, "test"), source.d);
    const { sae } = await startTraining(config, source);
    const x = await source.trainBatch(3, 256);
    const dead = new Uint8Array(sae.config.m);
    for (let j = 0; j < sae.config.m; j += 3) dead[j] = 1;
    const options = { reweight: "equalize" as const, auxk: { dead, kAux: 8, coef: 1 / 32 } };
    const results = [];
    for (const k of [candidate, referenceKernels]) {
      const fwd = await forwardTraining(sae, x, 256, k, options);
      const grads = allocateParams(sae.config);
      backwardTraining(sae, fwd, k, grads);
      results.push({ loss: fwd.loss, grads });
    }
    const [fast, ref] = results as [(typeof results)[0], (typeof results)[0]];
    assert.ok(
      Math.abs(fast.loss - ref.loss) <= 1e-5 * Math.abs(ref.loss),
      `${score}: loss ${fast.loss} vs ${ref.loss}`,
    );
    for (const name of paramNames) {
      let diff = 0;
      let scale = 0;
      for (let i = 0; i < ref.grads[name].length; i++) {
        diff = Math.max(diff, Math.abs(fast.grads[name][i]! - ref.grads[name][i]!));
        scale = Math.max(scale, Math.abs(ref.grads[name][i]!));
      }
      assert.ok(
        diff <= 1e-5 * Math.max(scale, 1e-12),
        `${score}: ∂${name} differs by ${diff} (scale ${scale})`,
      );
    }
  }
}

test("onnxruntime kernels agree with the reference path on loss and every gradient (float32, 1e-5 relative)", async () => {
  await assertAgreesWithReference(onnxruntime);
});

test("native kernels agree with the reference path on loss and every gradient (float32, 1e-5 relative)", {
  skip: skipWhenMissing("native addon", native.kernels ? null : native.reason),
}, async () => {
  await assertAgreesWithReference(requirePart("native addon", native.kernels, native.reason));
});

test("a reused workspace gives bit-identical loss and gradients to fresh arrays, step after step", async () => {
  const source = syntheticSource(new SyntheticDataset(synthetic));
  const workspace = new Workspace();
  for (const score of ["inner", "blend-feature"] as const) {
    const config = resolveTrainConfig(
      validateTrainConfig({ ...small, score, decode: "equivariant", steps: 10 }, "test"),
      source.d,
    );
    const { sae } = await startTraining(config, source);
    const dead = new Uint8Array(sae.config.m);
    for (let j = 0; j < sae.config.m; j += 3) dead[j] = 1;
    // Batches of different sizes, so buffers are reused both whole and as shorter views.
    for (const [batch, rows] of [
      [1, 256],
      [2, 128],
      [3, 256],
    ] as const) {
      const x = await source.trainBatch(batch, rows);
      const results = [];
      for (const ws of [undefined, workspace]) {
        const options = { reweight: "none" as const, auxk: { dead, kAux: 8, coef: 1 / 32 }, workspace: ws };
        const fwd = await forwardTraining(sae, x, rows, kernels, options);
        const grads = allocateParams(sae.config);
        backwardTraining(sae, fwd, kernels, grads);
        results.push({ loss: fwd.loss, grads });
      }
      const [fresh, reused] = results as [(typeof results)[0], (typeof results)[0]];
      assert.equal(reused.loss, fresh.loss, `${score}: loss`);
      for (const name of paramNames)
        assert.deepEqual(reused.grads[name], fresh.grads[name], `${score}: ∂${name}`);
    }
  }
});
