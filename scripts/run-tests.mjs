#!/usr/bin/env node
// Runs the compiled tests (node --test, spec reporter) and then names every skipped
// test and why, grouped by reason, so a part left out never scrolls past unseen.
// Under CI=true any skipped test fails the run: CI must not pass with parts left out.
// Usage: node scripts/run-tests.mjs [files or folders; default dist/test/]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const targets = process.argv.length > 2 ? process.argv.slice(2) : ["dist/test/"];
const folder = mkdtempSync(join(tmpdir(), "cosae-test-events-"));
const eventsPath = join(folder, "events.jsonl");
const reporter = pathToFileURL(join(root, "scripts", "test-events-reporter.mjs")).href;

const run = spawnSync(
  process.execPath,
  [
    "--test",
    "--test-concurrency=1",
    ...["--test-reporter=spec", "--test-reporter-destination=stdout"],
    ...[`--test-reporter=${reporter}`, `--test-reporter-destination=${eventsPath}`],
    ...targets,
  ],
  { stdio: "inherit", cwd: root },
);
let events = [];
try {
  events = readFileSync(eventsPath, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
} catch {
  // no events file: node --test itself failed, and said why above
}
rmSync(folder, { recursive: true, force: true });

const tests = events.filter((e) => e.kind !== "suite");
const skipped = tests.filter((e) => e.skip !== undefined && e.skip !== false);
const failed = tests.filter((e) => e.result === "fail");
const passed = tests.length - skipped.length - failed.length;

if (skipped.length > 0) {
  const byReason = new Map();
  for (const e of skipped) {
    const reason = typeof e.skip === "string" ? e.skip : "(no reason given)";
    const file = e.file ? relative(root, fileURLToPath(new URL(e.file, "file://"))) : "?";
    const key = `${file}: ${reason}`;
    byReason.set(key, (byReason.get(key) ?? 0) + 1);
  }
  console.log(`\nskipped tests, by file and reason:`);
  for (const [key, count] of byReason) console.log(`  ${count} in ${key}`);
}
const ci = process.env.CI === "true";
if (ci && skipped.length > 0)
  console.log(`CI=true: ${skipped.length} tests skipped, which fails the run (CI must not pass with parts left out)`);
console.log(`tests: ${passed} passed, ${failed.length} failed, ${skipped.length} skipped`);
process.exit(run.status !== 0 ? (run.status ?? 1) : ci && skipped.length > 0 ? 1 : 0);
