import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { loadSae } from "../../src/io/load-sae.js";
import { writeSaeFolder } from "../../src/io/sae-folder.js";
import { referenceKernels } from "../../src/kernels/reference.js";
import { reconstruct } from "../../src/model/forward.js";
import { cloneSae, type Sae } from "../../src/model/sae.js";
import { writeExampleDataset } from "../data/activation-fixtures.js";
import { cosae } from "../helpers/cosae-cli.js";
import { randomInputs, randomSae } from "../helpers/random-sae.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const dir = useTemporaryFolder("cosae-saelens-cli-");

/** A random SAE on the synthetic default's width (d = 128), so `cosae eval` can run it without --data. */
async function saeFolder(name: string, score: "inner" | "cosine"): Promise<{ folder: string; sae: Sae }> {
  const sae = cloneSae(randomSae({ score, activation: "batchtopk", d: 128, m: 64, k: 4 }, 3), Float32Array);
  sae.constants = { scale: 2.5, nu: 11, threshold: 1.5 };
  const folder = join(dir(), name);
  await writeSaeFolder(folder, sae, { data: "test" });
  return { folder, sae };
}

test("cosae export writes a SAELens folder, cosae import reads it back to the same SAE, and eval and inspect take SAELens folders", async () => {
  const { folder, sae } = await saeFolder("inner", "inner");
  const saelens = join(dir(), "inner-saelens");
  const e = cosae("export", folder, "--out", saelens, "--hookName", "blocks.3.hook_resid_pre");
  assert.equal(e.code, 0, e.stderr);
  assert.match(
    e.stdout,
    /wrote .*inner-saelens \(SAELens jumprelu: cfg\.json, sae_weights\.safetensors\).*s = 2\.50000 folded in/,
  );
  const cfg = JSON.parse(readFileSync(join(saelens, "cfg.json"), "utf8"));
  assert.equal(cfg.architecture, "jumprelu");
  assert.equal(cfg.metadata.hook_name, "blocks.3.hook_resid_pre");
  assert.deepEqual(cfg.metadata.cosae.data, "test");

  const back = join(dir(), "inner-back");
  const i = cosae("import", saelens, "--out", back);
  assert.equal(i.code, 0, i.stderr);
  assert.match(
    i.stdout,
    /wrote .*inner-back \(cosae: inner score, jumprelu, d=128, m=64\) from SAELens jumprelu \(v6 cfg\.json\)/,
  );
  const imported = await loadSae(back);
  assert.equal(imported.architecture, "cosae");
  assert.equal((imported.metadata.imported_from as { architecture: string }).architecture, "jumprelu");
  assert.equal(imported.metadata.hook_name, "blocks.3.hook_resid_pre");
  const x = Float32Array.from(randomInputs(64, 128, 4), (v) => 3 * v);
  const want = await reconstruct(sae, x, 64, referenceKernels);
  const got = await reconstruct(imported.sae, x, 64, referenceKernels);
  assert.deepEqual(got.codes.rowStart, want.codes.rowStart, "the same latents fire");
  assert.ok(want.codes.index.length > 64, `${want.codes.index.length} active codes`);
  // float32 rounding: compare against the largest value, as codes reach several hundred here
  let scale = 0;
  for (const v of want.reconstruction) scale = Math.max(scale, Math.abs(v));
  for (let n = 0; n < want.reconstruction.length; n++) {
    const w = want.reconstruction[n]!;
    assert.ok(
      Math.abs(got.reconstruction[n]! - w) <= 1e-6 * scale,
      `x̂[${n}]: ${got.reconstruction[n]} vs ${w}`,
    );
  }

  const inspect = cosae("inspect", saelens);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.match(inspect.stdout, /\(SAELens jumprelu\)/);
  assert.match(inspect.stdout, /inner score, jumprelu, plain decoding, d 128, m 64/);
  assert.match(inspect.stdout, /θ per latent in \[1\.50000, 1\.50000\]/);

  // eval on the SAELens folder and on the original: the same figures.
  const jsonA = join(dir(), "eval-cosae.json");
  const jsonB = join(dir(), "eval-saelens.json");
  const a = cosae("eval", folder, "--evalTokens", "2048", "--json", jsonA);
  const b = cosae("eval", saelens, "--evalTokens", "2048", "--json", jsonB);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const fvu = (path: string) => JSON.parse(readFileSync(path, "utf8")).results[0].report;
  const ra = fvu(jsonA);
  const rb = fvu(jsonB);
  assert.ok(Math.abs(ra.fvu - rb.fvu) <= 1e-5 * Math.abs(ra.fvu), `FVU ${ra.fvu} vs ${rb.fvu}`);
  assert.equal(ra.l0, rb.l0);
});

test("an SAE trained on a harvested dataset exports with the dataset's model, hook and context", async () => {
  const acts = join(dir(), "acts");
  await writeExampleDataset(acts, 40, {
    d: 8,
    model: "stories260K",
    hook: "blocks.1.hook_resid_pre",
    contextLength: 64,
  });
  const run = join(dir(), "run");
  const sae = cloneSae(randomSae({ score: "inner", activation: "topk", d: 8, m: 16, k: 2 }, 2), Float32Array);
  await writeSaeFolder(join(run, "sae"), sae);
  await writeFile(join(run, "run.json"), JSON.stringify({ m: 16, data: { activations: { path: acts } } }));
  const out = join(dir(), "run-saelens");
  const r = cosae("export", join(run, "sae"), "--out", out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /SAELens topk/);
  const cfg = JSON.parse(readFileSync(join(out, "cfg.json"), "utf8"));
  assert.equal(cfg.metadata.model_name, "stories260K");
  assert.equal(cfg.metadata.hook_name, "blocks.1.hook_resid_pre");
  assert.equal(cfg.metadata.context_size, 64);
  assert.equal(cfg.k, 2);
  const flags = cosae("export", join(run, "sae"), "--out", out, "--modelName", "other");
  assert.equal(flags.code, 0, flags.stderr);
  assert.equal(JSON.parse(readFileSync(join(out, "cfg.json"), "utf8")).metadata.model_name, "other");
});

test("a cosine SAE exports in cosae's format (with a note why), and --format saelens is refused", async () => {
  const { folder } = await saeFolder("cosine", "cosine");
  const out = join(dir(), "cosine-out");
  const r = cosae("export", folder, "--out", out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /note: writing cosae's format, not SAELens: its score is "cosine"/);
  assert.match(r.stdout, /wrote .*cosine-out \(cosae: cfg\.json, sae_weights\.safetensors, README\.md\)/);
  assert.ok(existsSync(join(out, "README.md")));
  assert.match(JSON.parse(readFileSync(join(out, "cfg.json"), "utf8")).score_formula, /gain_j/);
  // Exporting again replaces the folder.
  assert.equal(cosae("export", folder, "--out", out, "--format", "cosae").code, 0);

  const refused = cosae("export", folder, "--out", join(dir(), "cosine-saelens"), "--format", "saelens");
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /cannot be written as SAELens: its score is "cosine".*use --format cosae/);
  assert.ok(!existsSync(join(dir(), "cosine-saelens")));
});

test("bad export and import flags are refused before any work, naming the flag", async () => {
  const { folder } = await saeFolder("flags", "inner");
  const busy = join(dir(), "busy");
  await mkdir(busy, { recursive: true });
  await writeFile(join(busy, "notes.txt"), "keep me");
  for (const [args, message] of [
    [["export", folder], /--out DIR is required/],
    [
      ["export", folder, "--out", join(dir(), "x"), "--format", "onnx"],
      /--format: expected one of saelens, cosae, got "onnx"/,
    ],
    [["export", folder, "--out", folder], /is the input folder/],
    [["export", folder, "--out", busy], /busy exists and does not hold an SAE \(no cfg\.json\)/],
    [
      ["export", folder, "--out", join(dir(), "x"), "--hookName", " "],
      /--hookName: expected a non-empty name/,
    ],
    [["export", "--out", join(dir(), "x")], /export takes one SAE folder/],
    [["export", folder, "--out", join(dir(), "x"), "--bogus"], /bogus/],
    [["import", folder, "--out", join(dir(), "x")], /is already a cosae SAE folder/],
    [["import", join(dir(), "missing"), "--out", join(dir(), "x")], /missing.*cfg\.json/],
    [["import", folder], /--out DIR is required/],
  ] as const) {
    const r = cosae(...args);
    assert.equal(r.code, 1, args.join(" "));
    assert.match(r.stderr, message, args.join(" "));
  }
  assert.ok(!existsSync(join(dir(), "x")), "nothing written");
  assert.equal(readFileSync(join(busy, "notes.txt"), "utf8"), "keep me");
  assert.match(cosae("help", "export").stdout, /--format saelens\|cosae/);
  assert.match(cosae("help", "import").stdout, /standard, topk, batchtopk/);
});
