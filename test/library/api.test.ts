/**
 * The library's entry point (src/index.ts) as a user calls it: sources,
 * training with checked options, SAE folders, encode and decode, evaluation,
 * a model with hooks, harvesting, compare and the kernels choice.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  arraySource,
  compareFamilies,
  decode,
  encode,
  evaluate,
  exportSaeLens,
  harvestActivations,
  type KernelSet,
  loadModel,
  loadSae,
  openActivations,
  openKernels,
  readActivations,
  reconstruct,
  runModel,
  type Sae,
  saeSpliceHook,
  saveSae,
  syntheticActivations,
  syntheticEvalSet,
  trainRunFolder,
  trainSae,
} from "../../src/index.js";
import { writeNpy } from "../../src/io/npy.js";
import { identitySae } from "../helpers/identity-sae.js";
import { corpusStories, stories260kBin } from "../helpers/stories260k.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const dir = useTemporaryFolder("cosae-api-");
let kernels: KernelSet;
before(async () => {
  kernels = await openKernels();
});
after(async () => {
  await kernels.dispose();
});

const tiny = { m: 64, k: 4, steps: 20, batchSize: 128 };
const synthetic = { d: 16, features: 32 };

test("arraySource visits every row once per pass, in a seeded order, and checks its shape", async () => {
  const rows = 10;
  const d = 3;
  const x = Float32Array.from({ length: rows * d }, (_, i) => Math.floor(i / d));
  const source = arraySource(x, rows, d, { seed: 5 });
  const firstOf = (batch: Float32Array) => Array.from({ length: batch.length / d }, (_, t) => batch[t * d]!);
  const pass = [
    ...firstOf(await source.trainBatch(0, 4)),
    ...firstOf(await source.trainBatch(1, 4)),
    ...firstOf(await source.trainBatch(2, 4)).slice(0, 2),
  ];
  assert.deepEqual(
    [...pass].sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.deepEqual(
    await arraySource(x, rows, d, { seed: 5 }).trainBatch(1, 4),
    await source.trainBatch(1, 4),
  );
  assert.notDeepEqual(
    await arraySource(x, rows, d, { seed: 6 }).trainBatch(0, 10),
    await source.trainBatch(0, 10),
  );
  assert.throws(() => arraySource(x, rows, 4), /x holds 30 values, but rows × d = 10 × 4 = 40/);
});

test("trainSae checks its options as cosae train does, before any work", async () => {
  const source = syntheticActivations(synthetic);
  await assert.rejects(trainSae(source, { ...tiny, stepz: 5 } as never), /stepz/);
  await assert.rejects(trainSae(source, { ...tiny, k: 65 }), /"k" \(65\) must not exceed "m" \(64\)/);
  await assert.rejects(
    trainSae(source, { ...tiny, kernels: { name: "mine", dispose: async () => {} } }),
    /openKernels/,
  );
  await assert.rejects(openKernels({ kind: "cuda" as never }), /"kind" is "cuda"/);
});

let trained: Sae;
test("a trained SAE encodes to sparse codes that decode to its reconstruction, and saves and reloads unchanged", async () => {
  trained = await trainSae(syntheticActivations(synthetic), { ...tiny, score: "cosine", kernels });
  const set = syntheticEvalSet(1024, synthetic);
  const codes = await encode(trained, set.x.subarray(0, 64 * 16), 64, { kernels });
  assert.equal(codes.rows, 64);
  assert.equal(codes.m, 64);
  assert.ok(codes.index.length > 0 && codes.index.every((j) => j >= 0 && j < 64));
  const both = await reconstruct(trained, set.x.subarray(0, 64 * 16), 64, { kernels });
  assert.deepEqual(await decode(trained, codes, { kernels }), both.reconstruction);
  await assert.rejects(encode(trained, set.x.subarray(0, 10), 1), /x holds 10 values, but rows × d = 1 × 16/);

  const folder = join(dir(), "saved");
  await saveSae(folder, trained, { note: "api test" });
  const loaded = await loadSae(folder);
  assert.deepEqual((await encode(loaded, set.x.subarray(0, 64 * 16), 64, { kernels })).index, codes.index);

  const report = await evaluate(trained, set, { kernels });
  assert.ok(report.fvu > 0 && report.fvu < 1, `FVU ${report.fvu}`);
  assert.ok(report.decoderMatch !== null && report.alignment !== null);
});

test("exportSaeLens writes what loadSae reads back, and refuses a cosine SAE with the reason", async () => {
  await assert.rejects(exportSaeLens(join(dir(), "cosine-saelens"), trained), /linear/);
  const inner = await trainSae(syntheticActivations(synthetic), { ...tiny, score: "inner", kernels });
  const folder = join(dir(), "inner-saelens");
  assert.equal(await exportSaeLens(folder, inner, { hook_name: "synthetic" }), "jumprelu");
  const back = await loadSae(folder);
  const x = syntheticEvalSet(256, synthetic).x;
  const a = await encode(inner, x, 256, { kernels });
  const b = await encode(back, x, 256, { kernels });
  assert.deepEqual(b.index, a.index);
});

test("trainRunFolder takes a cosae train config, writes the run folder, and resumes only as configured", async () => {
  const folder = join(dir(), "run");
  const spec = { ...tiny, checkpointEvery: 10, data: { synthetic } };
  await assert.rejects(
    trainRunFolder(folder, { ...spec, data: { synthetc: {} } }),
    /unknown data source "synthetc"/,
  );
  assert.ok(!existsSync(folder), "nothing written for a bad spec");
  const sae = await trainRunFolder(folder, spec, { kernels });
  assert.ok(existsSync(join(folder, "sae", "cfg.json")) && existsSync(join(folder, "run.json")));
  assert.equal(sae.config.m, 64);
  await assert.rejects(trainRunFolder(folder, spec, { resume: true }), /pass spec null/);
  const resumed = await trainRunFolder(folder, null, { resume: true, kernels });
  assert.deepEqual(resumed.params.decoder, sae.params.decoder);
});

test("openActivations and readActivations read a .npy file; training from it names the file", async () => {
  const path = join(dir(), "acts.npy");
  const x = syntheticEvalSet(512, synthetic).x;
  await writeNpy(path, x, [512, 16]);
  const source = await openActivations(path, { seed: 1, holdOut: 128 });
  assert.equal(source.d, 16);
  assert.match(source.description, /acts\.npy/);
  const rows = await readActivations(path, { start: 500 });
  assert.deepEqual(rows, { x: x.subarray(500 * 16), rows: 12, d: 16 });
  await assert.rejects(
    readActivations(path, { start: 500, count: 20 }),
    /rows \[500, 520\) asked of a dataset with 512 rows/,
  );
  const sae = await trainSae(source, { ...tiny, steps: 5, kernels });
  assert.equal(sae.config.d, 16);
});

test("a model runs with hooks: an exact SAE spliced in leaves the logits unchanged; harvesting writes a shard folder", async () => {
  const model = await loadModel(stories260kBin);
  const hook = "blocks.2.hook_resid_pre";
  const sequences = [model.tokenizer!.encode("Once upon a time there was a cat.")];
  const seen: number[] = [];
  const clean = await runModel(model, sequences, {
    kernels,
    hooks: { [hook]: (value, info) => void seen.push(value.length / info.rows) },
  });
  assert.deepEqual(seen, [model.config.dim]);
  const splice = saeSpliceHook(identitySae(model.config.dim), kernels);
  let calls = 0;
  const spliced = await runModel(model, sequences, {
    kernels,
    hooks: {
      [hook]: (value, info) => {
        calls++;
        return splice(value, info);
      },
    },
  });
  assert.equal(calls, 1);
  assert.deepEqual(spliced.logits, clean.logits);

  const text = join(dir(), "corpus.txt");
  await writeFile(text, corpusStories().slice(0, 8).join("\n<|endoftext|>\n"));
  const folder = join(dir(), "harvest");
  const result = await harvestActivations({
    model,
    text,
    outputs: [{ hook, folder }],
    maxRows: 200,
    kernels,
  });
  assert.ok(result.rows[0]! >= 200);
  const manifest = JSON.parse(readFileSync(join(folder, "manifest.json"), "utf8")) as { hook: string };
  assert.equal(manifest.hook, hook);
  assert.equal((await openActivations(folder)).d, model.config.dim);
  await assert.rejects(
    harvestActivations({ model, text, outputs: [{ hook, folder: join(dir(), "h2") }], contextLength: 1 }),
    /contextLength/,
  );
});

test("compareFamilies trains and matches families on the synthetic default", async () => {
  const section = await compareFamilies({
    out: join(dir(), "compare"),
    families: ["inner", "cosine"],
    k: 4,
    ks: [4],
    training: { m: 32, steps: 20, batchSize: 128 },
    evalTokens: 512,
    kernels,
  });
  assert.deepEqual(section.runs.map((r) => `${r.family}-k${r.k}`).sort(), ["cosine-k4", "inner-k4"]);
  assert.equal(section.matched.length, 2);
});
