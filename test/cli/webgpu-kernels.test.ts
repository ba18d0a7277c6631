import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { ActivationDataset } from "../../src/data/activation-dataset.js";
import { cosae, cosaeWithEnv } from "../helpers/cosae-cli.js";
import { corpusPath, stories260kBin } from "../helpers/stories260k.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const dir = useTemporaryFolder("cosae-webgpu-cli-");
const swiftshader = { ...process.env, COSAE_WEBGPU_ADAPTER: "swiftshader" };
const hook = "blocks.3.hook_resid_pre";
const harvestArgs = (out: string) => [
  "--model",
  stories260kBin,
  "--text",
  corpusPath,
  "--hook",
  hook,
  "--contextLength",
  "32",
  "--maxTokens",
  "200",
  "--out",
  out,
];

test("harvest --kernels webgpu (SwiftShader) writes the CPU harvest's activations to float tolerance, and train --kernels webgpu learns from them", async () => {
  const cpu = join(dir(), "cpu");
  const gpu = join(dir(), "gpu");
  const onCpu = cosae("harvest", ...harvestArgs(cpu));
  assert.equal(onCpu.code, 0, onCpu.stderr);
  const onGpu = cosaeWithEnv(swiftshader, "harvest", ...harvestArgs(gpu), "--kernels", "webgpu");
  assert.equal(onGpu.code, 0, onGpu.stderr);
  assert.match(onGpu.stderr, /kernels: webgpu on SwiftShader \(CPU emulation: slow\): .+/);
  const want = await ActivationDataset.open(cpu);
  const got = await ActivationDataset.open(gpu);
  assert.equal(got.rows, want.rows);
  const a = await got.readRows(0, got.rows);
  const b = await want.readRows(0, want.rows);
  let err = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    err += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  assert.ok(norm > 0 && Math.sqrt(err / norm) <= 1e-5, `relative error ${Math.sqrt(err / norm)}`);

  const run = join(dir(), "run");
  const train = cosaeWithEnv(
    swiftshader,
    "train",
    "--kernels",
    "webgpu",
    "--data",
    gpu,
    "--m",
    "64",
    "--k",
    "4",
    "--batchSize",
    "32",
    "--steps",
    "5",
    "--out",
    run,
  );
  assert.equal(train.code, 0, train.stderr);
  assert.match(train.stderr, /kernels: webgpu on SwiftShader/);
  assert.match(train.stdout, /wrote .*sae/);
});

test("--kernels webgpu with no adapter fails saying what is missing, and a bad --kernels names the choices", () => {
  const { COSAE_WEBGPU_ADAPTER: _, ...rest } = process.env;
  const noGpu = { ...rest, VK_ICD_FILENAMES: "/nonexistent.json" };
  const r = cosaeWithEnv(noGpu, "train", "--kernels", "webgpu", "--steps", "1", "--out", join(dir(), "none"));
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /no WebGPU adapter found: Dawn found no Vulkan device/);
  assert.match(r.stderr, /COSAE_WEBGPU_ADAPTER=swiftshader/);
  // --kernels gpu takes the GPU where there is one, and otherwise says it runs on the CPU.
  const trainOn = (env: NodeJS.ProcessEnv, out: string) =>
    cosaeWithEnv(
      env,
      "train",
      "--kernels",
      "gpu",
      "--m",
      "32",
      "--k",
      "4",
      "--batchSize",
      "32",
      "--steps",
      "2",
      "--out",
      join(dir(), out),
    );
  const fallback = trainOn(noGpu, "fallback");
  assert.equal(fallback.code, 0, fallback.stderr);
  assert.match(
    fallback.stderr,
    /--kernels gpu found no GPU \(no WebGPU adapter found.*\), so it runs on the CPU/,
  );
  const onGpu = trainOn(swiftshader, "on-gpu");
  assert.equal(onGpu.code, 0, onGpu.stderr);
  assert.match(onGpu.stderr, /kernels: webgpu on SwiftShader/);
  const bad = cosae("train", "--kernels", "cuda", "--steps", "1", "--out", join(dir(), "bad"));
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--kernels: expected one of auto, native, onnxruntime, webgpu, gpu, got "cuda"/);
  const badHarvest = cosae("harvest", ...harvestArgs(join(dir(), "bad-harvest")), "--kernels", "cuda");
  assert.notEqual(badHarvest.code, 0);
  assert.match(
    badHarvest.stderr,
    /option "kernels" must be one of "auto", "native", "onnxruntime", "webgpu", "gpu"/,
  );
});
