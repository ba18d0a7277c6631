import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { ActivationShardWriter } from "../../src/data/activation-shard-writer.js";
import { SyntheticDataset } from "../../src/data/synthetic.js";
import { writeNpy } from "../../src/io/npy.js";
import { cosae } from "../helpers/cosae-cli.js";
import { trainUntilKilled } from "../helpers/killed-run.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const dir = useTemporaryFolder("cosae-train-data-");

const D = 16;
const ROWS = 3000;

/** A shard folder of synthetic activations (d 16), sequences of 20 tokens, ~500-row f16 shards. */
async function writeShards(folder: string): Promise<void> {
  const synthetic = new SyntheticDataset({ d: D, features: 48, meanActive: 3, seed: 5 });
  const writer = await ActivationShardWriter.open(folder, {
    d: D,
    dtype: "f16",
    shardRows: 500,
    model: "synthetic",
  });
  for (let b = 0; b < ROWS / 100; b++) {
    const x = synthetic.batch("train", b, 100).x;
    const row = (i: number) => b * 100 + i;
    await writer.append(x, {
      ids: Int32Array.from({ length: 100 }, (_, i) => row(i) % 97),
      sequence: Int32Array.from({ length: 100 }, (_, i) => Math.floor(row(i) / 20)),
      position: Int32Array.from({ length: 100 }, (_, i) => row(i) % 20),
    });
  }
  await writer.finish();
}

const trainArgs = ["--m", "64", "--k", "4", "--batchSize", "128", "--logEvery", "2", "--threads", "2"];

test("cosae train --data trains from a shard folder, and --resume gives the uninterrupted weights", async () => {
  const data = join(dir(), "acts");
  await writeShards(data);
  const straight = join(dir(), "straight");
  const r = cosae(
    "train",
    "--data",
    data,
    "--bufferMiB",
    "0.05",
    "--chunkRows",
    "256",
    "--steps",
    "12",
    "--checkpointEvery",
    "4",
    "--out",
    straight,
    ...trainArgs,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrote .*sae \(cosine, d=16, m=64/);
  assert.match(
    r.stderr,
    /data: activations .*acts \(3000 rows, d=16, f16, 6 safetensors shards\).* buffer ≤ 34\.0 KiB \(2 windows × 256 rows × 68 B\)/,
  );
  const run = JSON.parse(readFileSync(join(straight, "run.json"), "utf8"));
  assert.deepEqual(run.data, {
    activations: {
      path: data,
      bufferMiB: 0.05,
      chunkRows: 256,
      nonFinite: "error",
      epochs: null,
      holdOut: 0,
      rows: ROWS,
      d: D,
    },
  });
  assert.equal(run.steps, 12);
  const cfg = JSON.parse(readFileSync(join(straight, "sae", "cfg.json"), "utf8"));
  assert.equal(cfg.d_in, D);

  // The same run killed after its step-4 checkpoint, then resumed by the CLI.
  const killed = join(dir(), "killed");
  await trainUntilKilled(
    killed,
    {
      m: 64,
      k: 4,
      batchSize: 128,
      logEvery: 2,
      steps: 12,
      checkpointEvery: 4,
      data: { activations: { path: data, bufferMiB: 0.05, chunkRows: 256 } },
    },
    6,
    2,
  );
  const resumed = cosae("train", "--out", killed, "--resume", "--threads", "2");
  assert.equal(resumed.code, 0, resumed.stderr);
  const weights = (out: string) => readFileSync(join(out, "sae", "sae_weights.safetensors"));
  assert.ok(weights(killed).equals(weights(straight)), "resumed weights are byte-identical");
  const steps = (out: string) =>
    readFileSync(join(out, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).loss);
  assert.deepEqual(steps(killed), steps(straight));
});

test("--epochs sets the steps from the rows; a JSON config can name the data", async () => {
  const path = join(dir(), "small.npy");
  const synthetic = new SyntheticDataset({ d: D, features: 48, meanActive: 3, seed: 6 });
  await writeNpy(path, synthetic.batch("train", 0, 1000).x, [1000, D]);
  const config = join(dir(), "config.json");
  await writeFile(
    config,
    JSON.stringify({
      m: 32,
      k: 2,
      batchSize: 100,
      data: { activations: { path, epochs: 1.5, bufferMiB: 1 } },
    }),
  );
  const out = join(dir(), "epochs");
  const r = cosae("train", "--config", config, "--out", out, "--logEvery", "5", "--threads", "2");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /step 15\/15 /);
  const run = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
  assert.equal(run.steps, undefined, "steps come from epochs, on resume too");
  assert.equal(run.data.activations.epochs, 1.5);
  assert.equal(cosae("train", "--out", out, "--resume", "--threads", "2").code, 0);
});

test("bad --data runs fail before writing anything, naming the file and what was expected", async () => {
  const out = join(dir(), "bad");
  const missing = cosae("train", "--data", join(dir(), "nothing-here"), "--out", out);
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /nothing-here: not found; expected a \.npy\/\.safetensors file or a shard folder/,
  );
  assert.ok(!existsSync(out), "nothing written");

  const nan = join(dir(), "nan.npy");
  const x = new Float32Array(300 * D).fill(0.5);
  x[123 * D + 4] = Number.NaN;
  await writeNpy(nan, x, [300, D]);
  const r = cosae(
    "train",
    "--data",
    nan,
    "--out",
    join(dir(), "nan-run"),
    "--steps",
    "3",
    "--m",
    "32",
    "--k",
    "2",
    "--batchSize",
    "64",
  );
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(`${nan}: row 123 \\(dataset row 123\\) has NaN at column 4; expected finite`),
  );

  const flagOnly = cosae("train", "--bufferMiB", "8", "--out", out);
  assert.equal(flagOnly.code, 1);
  assert.match(flagOnly.stderr, /--bufferMiB applies to an activation dataset; add --data PATH/);
  const badOption = cosae("train", "--data", nan, "--nonFinite", "drop", "--out", out);
  assert.match(
    badOption.stderr,
    /data\.activations: option "nonFinite" must be one of "error", "skip", got "drop"/,
  );
  const both = cosae("train", "--data", nan, "--epochs", "1", "--steps", "5", "--out", out);
  assert.match(both.stderr, /give "steps" or data\.activations\.epochs, not both/);
  assert.ok(!existsSync(join(out, "run.json")), "nothing written");
  const help = cosae("help", "train");
  assert.match(help.stdout, /--data\s+train on an activation dataset/);
  assert.match(help.stdout, /--bufferMiB\s+memory for the shuffle buffer .* \[default: 256\]/);
});
