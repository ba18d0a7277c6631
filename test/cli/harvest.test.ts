import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ActivationDataset } from "../../src/data/activation-dataset.js";
import { type HarvestOptions, harvest } from "../../src/data/harvest.js";
import { readDocuments, tokenSequences } from "../../src/data/text-corpus.js";
import { chooseKernels } from "../../src/kernels/choose-kernels.js";
import { loadTransformer } from "../../src/transformer/load-model.js";
import { cosae } from "../helpers/cosae-cli.js";
import { corpusPath, maxRelativeError, stories260kBin } from "../helpers/stories260k.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const dir = useTemporaryFolder("cosae-harvest-");

const hooks = ["blocks.1.hook_resid_pre", "blocks.3.hook_resid_pre"];
const common = [
  "--model",
  stories260kBin,
  "--text",
  corpusPath,
  "--contextLength",
  "64",
  "--shardRows",
  "1000",
];

test("cosae harvest writes one shard folder per hook whose rows are the model's own activations, then cosae train learns from it", async () => {
  const out = join(dir(), "two-hooks");
  const r = cosae("harvest", ...common, "--hook", hooks.join(","), "--maxTokens", "3000", "--out", out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /tokens\/s/);

  const model = await loadTransformer(stories260kBin);
  const tokenizer = model.tokenizer!;
  const docs = readDocuments(corpusPath);
  const sequences = [...tokenSequences(docs.slice(0, 40), (t) => tokenizer.encode(t), tokenizer.bosId, 64)];
  const kernels = await chooseKernels(0);
  try {
    for (const hook of hooks) {
      const data = await ActivationDataset.open(join(out, hook));
      assert.ok(data.rows >= 3000 && data.rows < 3000 + 64, `${data.rows} rows`);
      assert.equal(data.manifest?.complete, true);
      assert.ok(data.shards.length >= 3, `${data.shards.length} shards`);
      // Sequence 0 without its BOS position: ids, positions, and activations equal to a direct forward pass.
      const seq = sequences[0]!.ids;
      const tokens = await data.readTokens(0, seq.length - 1);
      assert.deepEqual([...tokens.ids], [...seq.subarray(1)]);
      assert.deepEqual(
        [...tokens.position],
        Array.from({ length: seq.length - 1 }, (_, i) => i + 1),
      );
      assert.ok(tokens.sequence.every((s) => s === 0));
      const captured: Float32Array[] = [];
      const capture = (v: Float32Array) => {
        captured.push(v);
      };
      await model.forward([seq], { kernels, hooks: { [hook]: capture }, stopAfter: hook });
      const rows = await data.readRows(0, seq.length - 1);
      assert.ok(maxRelativeError(rows, captured[0]!.subarray(64)) < 1e-6);
      const vocab = await data.vocab();
      assert.equal(vocab?.[tokens.ids[0]!], tokenizer.tokenString(tokens.ids[0]!));
    }
  } finally {
    await kernels.dispose();
  }

  const inspect = cosae("inspect", join(out, hooks[1]!));
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.match(inspect.stdout, /rows, d=64, f32/);
  assert.match(inspect.stdout, /hook blocks\.3\.hook_resid_pre/);

  const run = join(dir(), "run");
  const train = cosae(
    "train",
    "--data",
    join(out, hooks[1]!),
    "--m",
    "128",
    "--k",
    "8",
    "--batchSize",
    "256",
    "--steps",
    "30",
    "--out",
    run,
  );
  assert.equal(train.code, 0, train.stderr);
  assert.match(train.stdout, /wrote .*sae/);
  const sae = cosae("inspect", join(run, "sae"));
  assert.equal(sae.code, 0, sae.stderr);
  assert.match(sae.stdout, /d 64, m 128/);
});

test("a harvest killed mid-way keeps its complete shards, and --resume finishes it as an uninterrupted one would", async () => {
  const model = await loadTransformer(stories260kBin);
  const kernels = await chooseKernels(0);
  const options = (folder: string, resume: boolean): HarvestOptions => ({
    model,
    modelPath: stories260kBin,
    text: corpusPath,
    outputs: [{ hook: hooks[0]!, folder }],
    contextLength: 64,
    batchTokens: 512,
    maxRows: 2500,
    skipBos: true,
    shardRows: 600,
    dtype: "f16",
    fileFormat: "npy",
    resume,
    kernels,
  });
  try {
    const whole = join(dir(), "whole");
    await harvest(options(whole, false));

    const killed = join(dir(), "killed");
    let batches = 0;
    await assert.rejects(
      harvest({
        ...options(killed, false),
        onProgress: () => {
          if (++batches === 4) throw new Error("killed");
        },
      }),
      /killed/,
    );
    const partial = await ActivationDataset.open(killed);
    assert.equal(partial.manifest?.complete, false);
    assert.ok(partial.rows > 0 && partial.rows < 2500, `${partial.rows} rows kept`);

    const resumed = await harvest(options(killed, true));
    assert.ok(resumed.tokens < 2500, "the resumed harvest reruns only what was lost");
    const a = await ActivationDataset.open(whole);
    const b = await ActivationDataset.open(killed);
    assert.equal(b.rows, a.rows);
    assert.deepEqual(readdirSync(killed).sort(), readdirSync(whole).sort());
    const ta = await a.readTokens(0, a.rows);
    const tb = await b.readTokens(0, b.rows);
    assert.deepEqual([tb.ids, tb.sequence, tb.position], [ta.ids, ta.sequence, ta.position]);
    assert.ok(maxRelativeError(await b.readRows(0, b.rows), await a.readRows(0, a.rows)) < 1e-3);

    await assert.rejects(harvest(options(killed, true)), /complete; nothing to resume/);
    await assert.rejects(
      harvest({ ...options(join(dir(), "whole"), true), contextLength: 32 }),
      /harvested with --contextLength 64, not 32; pass --contextLength 64/,
    );
  } finally {
    await kernels.dispose();
  }
});

test("harvest refuses bad options before writing anything, naming what is wrong", () => {
  const out = join(dir(), "bad");
  const missing = cosae("harvest", "--model", stories260kBin, "--out", out);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /harvest needs --text, --hook/);
  const hook = cosae("harvest", ...common, "--hook", "blocks.1.hook_resid_prex", "--out", out);
  assert.notEqual(hook.code, 0);
  assert.match(hook.stderr, /blocks\.1\.hook_resid_prex/);
  const context = cosae("harvest", ...common, "--hook", hooks[0]!, "--contextLength", "1000", "--out", out);
  assert.match(context.stderr, /contextLength 1000 exceeds the model's maximum of 512/);
  const typo = cosae("harvest", ...common, "--hook", hooks[0]!, "--shardRows=-3", "--out", out);
  assert.match(typo.stderr, /option "shardRows" must be ≥ 1, got -3/);
  const notModel = cosae(
    "harvest",
    "--model",
    corpusPath,
    "--text",
    corpusPath,
    "--hook",
    hooks[0]!,
    "--out",
    out,
  );
  assert.notEqual(notModel.code, 0);
  assert.match(notModel.stderr, /tinystories-2MiB\.txt/);
  assert.throws(() => readdirSync(out), /ENOENT/);
});

test("cosae inspect lists a model's hooks with their widths", () => {
  const r = cosae("inspect", stories260kBin);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /family llama2c/);
  assert.match(r.stdout, /dim 64, mlp 172, 5 layers, 8 heads \(4 key\/value\) of 8, vocab 512/);
  assert.match(r.stdout, /RMSNorm, eps 0\.00001; rotary theta 10000 on 8 of 8 head dims \(adjacent-pairs\)/);
  assert.match(r.stdout, /gated MLP \(silu\); sequential residual; biases: none/);
  assert.match(r.stdout, /blocks\.4\.mlp\.hook_post\s+172/);
  assert.match(r.stdout, /blocks\.5\.hook_resid_pre\s+64/);
});
