/**
 * `cosae train` never loses or damages what a user had, never writes a wrong
 * SAE as if it succeeded, and checks on resume what changed under the run
 * (issue 12, cases 1, 2, 3, 6, 7, 14, 15).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { SyntheticDataset } from "../../src/data/synthetic.js";
import { writeNpy } from "../../src/io/npy.js";
import { writeSaeFolder } from "../../src/io/sae-folder.js";
import { cosae } from "../helpers/cosae-cli.js";
import { trainUntilKilled } from "../helpers/killed-run.js";
import { randomSae } from "../helpers/random-sae.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const dir = useTemporaryFolder("cosae-run-safety-");
const small = ["--m", "64", "--k", "4", "--steps", "20", "--batchSize", "256", "--threads", "1"];

/** Every file under `folder` with its contents, to show nothing changed. */
function snapshot(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out[join(e.parentPath, e.name)] = readFileSync(join(e.parentPath, e.name), "latin1");
  }
  return out;
}

test("--out into a folder that is not a run is refused, and the user's files stay as they were", () => {
  const user = join(dir(), "user");
  mkdirSync(join(user, "sae"), { recursive: true });
  writeFileSync(join(user, "sae", "notes.txt"), "keep\n");
  writeFileSync(join(user, "metrics.jsonl"), '{"mine":1}\n');
  const before = snapshot(user);
  const r = cosae("train", ...small, "--out", user);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /--out .*user exists and does not hold a cosae run \(no run\.json; it holds "metrics\.jsonl", "sae"\)/,
  );
  assert.deepEqual(snapshot(user), before, "nothing written, nothing lost");

  // A run folder with the user's files beside it (as `/` would be, with a run.json) is refused too.
  const mixed = join(dir(), "mixed");
  assert.equal(cosae("train", ...small, "--out", mixed).code, 0);
  writeFileSync(join(mixed, "notes.txt"), "keep\n");
  const withNotes = cosae("train", "--out", mixed, "--resume");
  assert.equal(withNotes.code, 1);
  assert.match(
    withNotes.stderr,
    /--out .*mixed holds "notes\.txt" beside its run\.json, which a cosae run does not write/,
  );
  // …and a user's file inside sae/ (replaced whole by a run).
  const inSae = join(dir(), "in-sae");
  assert.equal(cosae("train", ...small, "--out", inSae).code, 0);
  writeFileSync(join(inSae, "sae", "notes.txt"), "keep\n");
  const r2 = cosae("train", "--out", inSae, "--resume");
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /in-sae\/sae holds "notes\.txt", which a cosae run does not write/);
  assert.equal(readFileSync(join(inSae, "sae", "notes.txt"), "utf8"), "keep\n");
});

test("--out a file, or under a file, is refused naming --out", () => {
  const file = join(dir(), "a-file");
  writeFileSync(file, "mine\n");
  const r = cosae("train", ...small, "--out", file);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--out .*a-file exists and is not a folder/);
  const under = cosae("train", ...small, "--out", join(file, "run"));
  assert.equal(under.code, 1);
  assert.match(
    under.stderr,
    /--out: .*a-file\/run is not a folder \(it, or a folder above it, is a file\) \(ENOTDIR\)/,
  );
  assert.equal(readFileSync(file, "utf8"), "mine\n");
});

test("a diverging --lr stops with the step, the parameter and --lr, and writes no SAE", () => {
  const out = join(dir(), "lr");
  const r = cosae("train", ...small, "--lr", "1e30", "--out", out);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /training diverged at step \d+: parameter "gain" holds Infinity .*so no SAE was written; lower --lr \(it was 1e\+30\)/,
  );
  assert.ok(!existsSync(join(out, "sae")), "no SAE");
  assert.ok(!existsSync(join(out, "checkpoints", "latest.json")), "no non-finite checkpoint");
  // The fix, run into the same folder, starts over (it has no checkpoint).
  const fixed = cosae("train", ...small, "--out", out);
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.match(
    fixed.stderr,
    /never reached a checkpoint.*starting it again from step 0 with the options given/,
  );
});

test("writeSaeFolder refuses a non-finite tensor, naming it", async () => {
  const sae = randomSae({ d: 8, m: 16, k: 2, score: "cosine" });
  sae.params.decoder[5] = Number.NaN;
  const folder = join(dir(), "nan-sae");
  await assert.rejects(
    writeSaeFolder(folder, sae),
    /nan-sae\/sae_weights\.safetensors: tensor "W_dec" holds NaN at entry 5/,
  );
  assert.ok(!existsSync(folder), "nothing written");
});

test("--warmupSteps ≥ --steps is refused for batchtopk, naming both, before anything is written", () => {
  const out = join(dir(), "warmup");
  const r = cosae("train", ...small, "--warmupSteps", "20", "--out", out);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /"warmupSteps" \(--warmupSteps 20\) must be less than "steps" \(--steps 20\) for batchtopk/,
  );
  assert.ok(!existsSync(out));
  // topk does not use τ: its warm-up may cover the run.
  assert.equal(cosae("train", ...small, "--activation", "topk", "--warmupSteps", "20", "--out", out).code, 0);
});

test("sizes beyond memory are refused naming the option, before anything is written", () => {
  for (const [flag, value] of [
    ["--m", "1e11"],
    ["--batchSize", "1e9"],
  ] as const) {
    const out = join(dir(), `huge-${flag}`);
    const args = [...small];
    args[args.indexOf(flag) + 1] = value;
    const r = cosae("train", ...args, "--out", out);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /more than one array can hold .*lower --m or --batchSize/, r.stderr);
    assert.doesNotMatch(r.stderr, /Invalid typed array length/);
    assert.ok(!existsSync(out));
  }
});

test("a stale lock (a dead process on this host) is taken over with a note; a live one is refused", () => {
  const out = join(dir(), "stale-lock");
  assert.equal(cosae("train", ...small, "--checkpointEvery", "10", "--out", out).code, 0);
  const lock = join(out, "run.lock");
  writeFileSync(lock, JSON.stringify({ pid: process.pid, hostname: hostname(), started: "then" }));
  const held = cosae("train", "--out", out, "--resume");
  assert.equal(held.code, 1);
  assert.match(
    held.stderr,
    new RegExp(`is in use by process ${process.pid} on ${hostname()}, started then \\(lock .*run\\.lock\\)`),
  );
  writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 17, hostname: hostname(), started: "then" }));
  const stale = cosae("train", "--out", out, "--resume");
  assert.equal(stale.code, 0, stale.stderr);
  assert.match(stale.stderr, /run\.lock was left by process 4194321 .*which is gone; taking it over/);
  assert.ok(!existsSync(lock), "released at the end");
});

test("resume removes what killed writes left behind, and torn or repeated metric lines", () => {
  const out = join(dir(), "leftovers");
  assert.equal(cosae("train", ...small, "--checkpointEvery", "10", "--out", out).code, 0);
  const left = [
    join(out, ".run.json.999.0a1b2c3d4e5f.tmp"),
    join(out, ".sae.999.tmp"),
    join(out, ".sae.999.tmp.old"),
    join(out, "sae", ".cfg.json.999.abcdef012345.tmp"),
    join(out, "checkpoints", ".step-00000020.999.tmp"),
    join(out, "checkpoints", ".latest.json.999.abcdef012345.tmp"),
  ];
  for (const p of left) {
    if (p.endsWith(".json.999.abcdef012345.tmp") || p.includes(".run.json")) writeFileSync(p, "{");
    else mkdirSync(p, { recursive: true });
  }
  // metrics.jsonl with a step repeated out of order and a torn last line (two writers, then a kill).
  const metrics = join(out, "metrics.jsonl");
  const lines = readFileSync(metrics, "utf8");
  writeFileSync(metrics, `${lines}${lines.split("\n")[0]}\n{"step": 30, "lo`);
  const r = cosae("train", "--out", out, "--resume");
  assert.equal(r.code, 0, r.stderr);
  for (const p of left) assert.ok(!existsSync(p), `${p} removed`);
  assert.equal(readFileSync(metrics, "utf8"), lines, "metrics.jsonl reads as one run again");
  assert.match(r.stderr, /removed .*\.sae\.999\.tmp, left by an interrupted write/);
});

test("resume refuses an edited run.json, a latest.json outside checkpoints/, and data changed under it", async () => {
  // An edited run.json: m 64 → 32 while the checkpoint holds m = 64.
  const out = join(dir(), "edited");
  assert.equal(cosae("train", ...small, "--checkpointEvery", "10", "--out", out).code, 0);
  const specPath = join(out, "run.json");
  const spec = JSON.parse(readFileSync(specPath, "utf8"));
  writeFileSync(specPath, JSON.stringify({ ...spec, m: 32 }));
  const edited = cosae("train", "--out", out, "--resume");
  assert.equal(edited.code, 1);
  assert.match(
    edited.stderr,
    /run\.json gives m = 32, but the checkpoint .*step-00000020 holds an SAE with m = 64/,
  );
  writeFileSync(specPath, JSON.stringify({ ...spec, lr: 0.5 }));
  assert.match(
    cosae("train", "--out", out, "--resume").stderr,
    /run\.json gives lr = 0\.5, but the checkpoint .* was trained with/,
  );
  writeFileSync(specPath, JSON.stringify(spec));

  // latest.json naming a folder outside checkpoints/, an absolute path, or another step.
  const latest = join(out, "checkpoints", "latest.json");
  for (const bad of [
    { step: 20, folder: "../sae" },
    { step: 20, folder: join(out, "checkpoints", "step-00000020") },
    { step: 10, folder: "step-00000020" },
  ]) {
    writeFileSync(latest, JSON.stringify(bad));
    const r = cosae("train", "--out", out, "--resume");
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /latest\.json: expected \{"step": N, "folder": "step-NNNNNNNN"\} naming that step's folder/,
    );
  }

  // Data overwritten with other values of the same shape.
  const data = join(dir(), "acts.npy");
  const synthetic = new SyntheticDataset({ d: 16, features: 48, meanActive: 3, seed: 5 });
  await writeNpy(data, synthetic.batch("train", 0, 2000).x, [2000, 16]);
  const run = join(dir(), "changed-data");
  await trainUntilKilled(
    run,
    {
      m: 32,
      k: 4,
      batchSize: 128,
      steps: 12,
      checkpointEvery: 4,
      logEvery: 2,
      data: { activations: { path: data } },
    },
    6,
  );
  assert.ok(JSON.parse(readFileSync(join(run, "run.json"), "utf8")).dataFingerprint["acts.npy"]);
  await writeNpy(data, synthetic.batch("train", 1, 2000).x, [2000, 16]);
  const r = cosae("train", "--out", run, "--resume");
  assert.equal(r.code, 1);
  assert.match(r.stderr, /acts\.npy changed \(its size or sampled contents differ\) since the run started/);
});

test("a failed checkpoint write names the file and keeps the earlier checkpoint, which resumes to the same SAE", async () => {
  const straight = join(dir(), "straight");
  assert.equal(
    cosae("train", ...small, "--steps", "40", "--checkpointEvery", "10", "--out", straight).code,
    0,
  );
  const out = join(dir(), "full");
  // Killed at step 20, before its checkpoint: the step-10 checkpoint is the latest.
  await trainUntilKilled(
    out,
    { m: 64, k: 4, steps: 40, batchSize: 256, checkpointEvery: 10, data: { synthetic: {} } },
    20,
  );
  // A file-size limit makes the next checkpoint's write fail (EFBIG), as a full disk would (ENOSPC).
  const { spawnSync } = await import("node:child_process");
  const main = new URL("../../src/cli/main.js", import.meta.url).pathname;
  const limited = spawnSync(
    "bash",
    ["-c", `ulimit -f 40; exec "${process.execPath}" "${main}" train --out "${out}" --resume --threads 1`],
    {
      encoding: "utf8",
    },
  );
  assert.equal(limited.status, 1, limited.stderr);
  assert.match(
    limited.stderr,
    /the checkpoint of step 20 could not be written: .*sae_weights\.safetensors cannot be written: the file would be too large \(EFBIG\); the checkpoint at step 10 is intact/,
  );
  assert.deepEqual(
    readdirSync(join(out, "checkpoints")).sort(),
    ["latest.json", "step-00000010"],
    "no half checkpoint, the earlier one kept",
  );
  const r = cosae("train", "--out", out, "--resume", "--threads", "1");
  assert.equal(r.code, 0, r.stderr);
  const weights = (run: string) => readFileSync(join(run, "sae", "sae_weights.safetensors"));
  assert.ok(weights(out).equals(weights(straight)), "byte-identical to the uninterrupted run");
});

test("a --config of the wrong type is refused naming the file", () => {
  const config = join(dir(), "config.json");
  for (const [text, message] of [
    ["[1]", /config\.json: --config expects a JSON object of options, found \[1\]/],
    ["null", /config\.json: --config expects a JSON object of options, found null/],
    ['{"data": "x"}', /config\.json \+ command line: "data" must be an object/],
  ] as const) {
    writeFileSync(config, text);
    const out = join(dir(), "from-config");
    const r = cosae("train", "--config", config, "--out", out);
    assert.equal(r.code, 1);
    assert.match(r.stderr, message);
    assert.ok(!existsSync(out));
  }
});

test("a run stopped by bad data is run again with the fix (--nonFinite skip) in the same folder", async () => {
  const data = join(dir(), "with-nan.npy");
  const x = new SyntheticDataset({ d: 16, features: 48, meanActive: 3, seed: 5 }).batch("train", 0, 2000).x;
  x[500 * 16 + 3] = Number.NaN;
  await writeNpy(data, x, [2000, 16]);
  const out = join(dir(), "bad-data");
  const args = [
    "--data",
    data,
    "--m",
    "32",
    "--k",
    "4",
    "--steps",
    "12",
    "--batchSize",
    "128",
    "--threads",
    "1",
  ];
  const failed = cosae("train", ...args, "--out", out);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /with-nan\.npy.*row 500/);
  const fixed = cosae("train", ...args, "--nonFinite", "skip", "--out", out);
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.match(
    fixed.stderr,
    /never reached a checkpoint.*starting it again from step 0 with the options given/,
  );
  assert.equal(JSON.parse(readFileSync(join(out, "run.json"), "utf8")).data.activations.nonFinite, "skip");
});

test("--restart starts a run with checkpoints again from step 0, to the same SAE as a new run", () => {
  const out = join(dir(), "restart");
  assert.equal(cosae("train", ...small, "--out", out).code, 0);
  const refused = cosae("train", ...small, "--out", out);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /already holds a run, finished .*or pass --restart to train it again from step 0/,
  );
  const r = cosae("train", ...small, "--seed", "3", "--out", out, "--restart");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /--restart: starting the run in .*restart again from step 0/);
  const fresh = join(dir(), "restart-fresh");
  assert.equal(cosae("train", ...small, "--seed", "3", "--out", fresh).code, 0);
  const weights = (run: string) => readFileSync(join(run, "sae", "sae_weights.safetensors"));
  assert.ok(weights(out).equals(weights(fresh)));
  assert.deepEqual(readdirSync(join(out, "checkpoints")), ["latest.json", "step-00000020"]);
});
