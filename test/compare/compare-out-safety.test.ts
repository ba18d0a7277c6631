/**
 * `cosae compare --out` writes only into a folder of its own, replaces only
 * runs (never a user's files), retrains a run asked for otherwise, and goes on
 * from a run killed before its first checkpoint (issue 12, cases 1, 5, 7).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cosae } from "../helpers/cosae-cli.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const dir = useTemporaryFolder("cosae-compare-out-");
const tiny = [
  "--families",
  "inner",
  "--ks",
  "4",
  "--targetFvu",
  "0.5",
  "--m",
  "64",
  "--steps",
  "20",
  "--batchSize",
  "256",
  "--evalTokens",
  "1024",
  "--threads",
  "1",
];

test("compare --out into a folder compare did not write is refused, nothing touched", () => {
  const out = join(dir(), "user");
  mkdirSync(out);
  writeFileSync(join(out, "notes.txt"), "keep\n");
  const r = cosae("compare", ...tiny, "--out", out);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /--out .*user holds "notes\.txt", which cosae compare did not write; nothing was written/,
  );
  assert.deepEqual(readdirSync(out), ["notes.txt"]);
  const file = join(dir(), "a-file");
  writeFileSync(file, "mine\n");
  assert.match(cosae("compare", ...tiny, "--out", file).stderr, /--out .*a-file exists and is not a folder/);
});

test("compare retrains a run asked for otherwise, refuses one holding a user's file, and restarts one without a checkpoint", () => {
  const out = join(dir(), "cmp");
  const first = cosae("compare", ...tiny, "--out", out);
  assert.equal(first.code, 0, first.stderr);
  const run = join(out, "synthetic", "inner-k4");
  const weights = () => readFileSync(join(run, "sae", "sae_weights.safetensors"));
  const reference = weights();

  // Another --steps: the run is trained again (its own files replaced).
  const other = cosae("compare", ...tiny.map((a) => (a === "20" ? "30" : a)), "--out", out);
  assert.equal(other.code, 0, other.stderr);
  assert.match(other.stderr, /inner-k4 holds a run trained with other options; training it again/);

  // A user's file in the run folder: refused, kept.
  writeFileSync(join(run, "notes.txt"), "keep\n");
  const refused = cosae("compare", ...tiny, "--out", out);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /compare: the run folder .*inner-k4 holds "notes\.txt" beside its run\.json/);
  assert.equal(readFileSync(join(run, "notes.txt"), "utf8"), "keep\n");
  rmSync(join(run, "notes.txt"));

  // A run killed before its first checkpoint (run.json only): started again, to the same SAE.
  const again = cosae("compare", ...tiny, "--out", out);
  assert.equal(again.code, 0, again.stderr);
  rmSync(join(run, "sae"), { recursive: true });
  rmSync(join(run, "checkpoints"), { recursive: true });
  const restarted = cosae("compare", ...tiny, "--out", out);
  assert.equal(restarted.code, 0, restarted.stderr);
  assert.match(restarted.stderr, /never reached a checkpoint.*starting it again from step 0/);
  assert.ok(weights().equals(reference), "the same SAE as the first compare");
  const reused = cosae("compare", ...tiny, "--out", out);
  assert.match(reused.stderr, /inner-k4: FVU .* \(reused\)/);
});

test("compare sizes beyond memory are refused naming the option, before anything is written", () => {
  for (const [flag, value] of [
    ["--m", "1e11"],
    ["--evalTokens", "1e11"],
  ] as const) {
    const out = join(dir(), `huge${flag}`);
    const r = cosae("compare", ...tiny.map((a, i) => (tiny[i - 1] === flag ? value : a)), "--out", out);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`more than one array can hold .*lower ${flag}`));
    assert.doesNotMatch(r.stderr, /Invalid typed array length|SyntheticDataset\.batch/);
    assert.ok(!existsSync(out), "nothing written");
  }
});
