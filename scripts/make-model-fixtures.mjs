#!/usr/bin/env node
// Writes the five tiny random-weight Hugging Face folders (GPT-2, Pythia, Gemma 2, Llama 3.2, Qwen 2.5)
// that the README's harvest commands and the family tests use: runs/model-fixtures/<family>, seeded, so
// every run writes the same bytes. Needs python3 with NumPy (scripts/setup.mjs installs python3-numpy).
// Usage: node scripts/make-model-fixtures.mjs [OUT_ROOT]   (default runs/model-fixtures)
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outRoot = resolve(process.argv[2] ?? join(root, "runs", "model-fixtures"));
const generator = join(root, "test", "reference", "make_model_fixture.py");
for (const family of ["gpt2", "gpt_neox", "gemma2", "llama", "qwen2"]) {
  const out = join(outRoot, family);
  const run = spawnSync("python3", [generator, family, out], { stdio: "inherit" });
  if (run.error || run.status !== 0) {
    const why = run.error ? run.error.message : `exit status ${run.status}`;
    console.error(
      `fixtures:models: python3 ${generator} ${family} failed (${why}); install python3 with NumPy (node scripts/setup.mjs) and rerun.`,
    );
    process.exit(1);
  }
  console.log(`fixtures:models: wrote ${out}`);
}
