/**
 * A real `cosae train` process killed at any moment — before its first
 * checkpoint, between checkpoints, while writing the final SAE, by SIGINT —
 * goes on (with --resume, or by running the same command again) to the
 * byte-identical SAE of an uninterrupted run. Two processes never train one
 * folder at once.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { cosae } from "../helpers/cosae-cli.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const dir = useTemporaryFolder("cosae-train-kill-");
const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

// Long enough (~1 s of steps) that each moment below can be caught; --threads 1 for one summation order.
const run = [
  "--m",
  "64",
  "--k",
  "4",
  "--steps",
  "500",
  "--batchSize",
  "256",
  "--logEvery",
  "5",
  "--threads",
  "1",
];

interface Child {
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function start(...args: string[]): Child {
  const child = spawn(process.execPath, [main, "train", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((done) =>
    child.on("close", (code, signal) => done({ code, signal, stderr })),
  );
  return { process: child, exited };
}

/** Polls until `ready()` holds (then returns true) or the child exits (false). */
async function waitFor(child: Child, ready: () => boolean): Promise<boolean> {
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  while (!exited) {
    if (ready()) return true;
    await new Promise((r) => setTimeout(r, 2));
  }
  return false;
}

const metricLines = (out: string) =>
  existsSync(join(out, "metrics.jsonl"))
    ? readFileSync(join(out, "metrics.jsonl"), "utf8").split("\n").length - 1
    : 0;
const latestStep = (out: string): number | null => {
  try {
    return JSON.parse(readFileSync(join(out, "checkpoints", "latest.json"), "utf8")).step;
  } catch {
    return null;
  }
};
const weights = (out: string) => readFileSync(join(out, "sae", "sae_weights.safetensors"));

let straight: Buffer;

test("an uninterrupted run (the reference)", () => {
  const out = join(dir(), "straight");
  const r = cosae("train", ...run, "--out", out);
  assert.equal(r.code, 0, r.stderr);
  straight = weights(out);
  assert.ok(!existsSync(join(out, "run.lock")), "the lock is released at the end");
});

test("killed before its first checkpoint: --resume, or the same command again, starts over to the same SAE", async () => {
  for (const again of [["--resume"], run]) {
    const out = join(dir(), `early-${again.length}`);
    const child = start(...run, "--checkpointMinutes", "0", "--out", out);
    const caught = await waitFor(child, () => metricLines(out) >= 3);
    child.process.kill("SIGKILL");
    await child.exited;
    assert.ok(caught, "killed while running");
    assert.equal(latestStep(out), null, "no checkpoint yet");
    const r = cosae("train", "--out", out, ...again);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /never reached a checkpoint.*starting it again from step 0/);
    assert.match(
      r.stderr,
      /run\.lock was left by process \d+.*taking it over/,
      "the dead process's lock is taken over",
    );
    assert.ok(weights(out).equals(straight), "byte-identical to the uninterrupted run");
  }
});

test("killed between checkpoints, or while writing the final SAE: --resume gives the same SAE", async () => {
  const moments: [string, (out: string) => boolean][] = [
    ["between checkpoints", (out) => (latestStep(out) ?? 0) >= 100],
    ["after the last checkpoint", (out) => latestStep(out) === 500],
  ];
  for (const [name, moment] of moments) {
    const out = join(dir(), name.replaceAll(" ", "-"));
    const child = start(...run, "--checkpointEvery", "100", "--out", out);
    await waitFor(child, () => moment(out));
    child.process.kill("SIGKILL");
    await child.exited;
    const r = cosae("train", "--out", out, "--resume");
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.ok(weights(out).equals(straight), `${name}: byte-identical to the uninterrupted run`);
    const steps = readFileSync(join(out, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).step);
    assert.deepEqual(
      steps,
      Array.from({ length: 100 }, (_, i) => 5 * (i + 1)),
      `${name}: metrics read as one run`,
    );
    const leftovers = [out, join(out, "checkpoints"), join(out, "sae")].flatMap((f) =>
      readdirSync(f).filter((e) => e.endsWith(".tmp") || e.endsWith(".old")),
    );
    assert.deepEqual(leftovers, [], `${name}: no temp files left`);
  }
});

test("SIGINT writes a checkpoint and exits 130 naming --resume; --resume then gives the same SAE", async () => {
  const out = join(dir(), "sigint");
  const child = start(...run, "--out", out);
  assert.ok(await waitFor(child, () => metricLines(out) >= 2), "running");
  child.process.kill("SIGINT");
  const { code, stderr } = await child.exited;
  assert.equal(code, 130, stderr);
  assert.match(
    stderr,
    /SIGINT: stopped at step \d+ of 500 after writing .*step-\d{8}; continue with: cosae train --out .* --resume/,
  );
  const step = latestStep(out);
  assert.ok(step !== null && step > 0 && step < 500, `checkpoint at step ${step}`);
  assert.ok(!existsSync(join(out, "run.lock")), "the lock is released on a signal");
  const r = cosae("train", "--out", out, "--resume");
  assert.equal(r.code, 0, r.stderr);
  assert.ok(weights(out).equals(straight), "byte-identical to the uninterrupted run");
});

test("while a run trains, a second process on its folder is refused, naming the holder", async () => {
  const out = join(dir(), "locked");
  const child = start(...run.map((a) => (a === "500" ? "1000000" : a)), "--out", out);
  try {
    assert.ok(await waitFor(child, () => metricLines(out) >= 1), "running");
    for (const again of [["--resume"], run]) {
      const second = cosae("train", "--out", out, ...again);
      assert.equal(second.code, 1);
      assert.match(second.stderr, new RegExp(`is in use by process ${child.process.pid} on .*run\\.lock`));
    }
  } finally {
    child.process.kill("SIGKILL");
    await child.exited;
  }
});
