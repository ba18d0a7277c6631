import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { cosae } from "../helpers/cosae-cli.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const dir = useTemporaryFolder("cosae-cli-");

test("cosae train writes a run folder from a JSON config plus flags, and --resume of a finished run is a no-op", async () => {
  const config = join(dir(), "run.json");
  await writeFile(
    config,
    JSON.stringify({ score: "cosine", m: 64, k: 4, data: { synthetic: { d: 16, features: 32 } } }),
  );
  const out = join(dir(), "train");
  const r = cosae(
    "train",
    "--config",
    config,
    "--out",
    out,
    "--steps",
    "20",
    "--batchSize",
    "128",
    "--logEvery",
    "5",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrote .*sae \(cosine, d=16, m=64/);
  assert.match(r.stderr, /step 20\/20 .* tok\/s loss .* FVU .* L0 .* dead/);
  const metrics = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n");
  assert.equal(metrics.length, 4);
  assert.equal(JSON.parse(metrics[3]!).step, 20);
  const cfg = JSON.parse(readFileSync(join(out, "sae", "cfg.json"), "utf8"));
  assert.equal(cfg.score, "cosine");
  assert.equal(cfg.d_sae, 64);
  assert.ok(existsSync(join(out, "sae", "sae_weights.safetensors")));
  const again = cosae("train", "--out", out, "--resume");
  assert.equal(again.code, 0, again.stderr);
  assert.equal(
    cosae("train", "--config", config, "--out", out).code,
    1,
    "a second new run into the same folder is refused",
  );
});

test("bad options fail with a message that names the option, the value and what was expected", () => {
  const r = cosae("train", "--out", join(dir(), "bad"), "--k", "0", "--score", "cosin", "--lr", "fast");
  assert.equal(r.code, 1);
  assert.match(r.stderr, /option "k" must be ≥ 1, got 0/);
  assert.match(
    r.stderr,
    /option "score" must be one of "inner", "cosine", "blend", "blend-feature", got "cosin"/,
  );
  assert.match(r.stderr, /option "lr" must be a finite number, got "fast"/);
  assert.ok(!existsSync(join(dir(), "bad")), "nothing is written for a rejected config");
  const unknown = cosae("train", "--nonsense", "1");
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /nonsense/);
});

test("the help the README points to lists every option with its default", () => {
  const train = cosae("help", "train");
  assert.equal(train.code, 0);
  for (const option of [
    "--score",
    "--activation",
    "--decode",
    "--reweight",
    "--auxkCoef",
    "--checkpointEvery",
  ]) {
    assert.ok(train.stdout.includes(option), `help train mentions ${option}`);
  }
  assert.match(train.stdout, /--lr\s+.*\[default: auto\]/);
  const compare = cosae("compare", "--help");
  assert.equal(compare.code, 0);
  for (const option of ["--families", "--ks", "--targetFvu", "--evalTokens", "--data", "--hook"]) {
    assert.ok(compare.stdout.includes(option), `compare --help mentions ${option}`);
  }
  assert.match(cosae("help", "eval").stdout, /--evalTokens/);
});
