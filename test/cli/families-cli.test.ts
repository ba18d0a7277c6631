import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ActivationDataset } from "../../src/data/activation-dataset.js";
import { readSaeFolder } from "../../src/io/sae-folder.js";
import { loadTransformer } from "../../src/transformer/load-model.js";
import { cosae } from "../helpers/cosae-cli.js";
import {
  FAMILIES,
  type Family,
  numpyMissing,
  referenceForward,
  referenceLogitLens,
  relativeError,
} from "../helpers/model-fixtures.js";
import { skipWhenMissing } from "../helpers/optional-part.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";
import { spawnServe } from "../web/serve-process.js";

/**
 * End to end on each family's fixture, from the README's own harvest line:
 * `inspect` lists the config and hooks, `harvest` (the README command, its
 * runs/ paths moved to a temporary folder), then a tiny `train`, `eval` with
 * the spliced loss through the model, and `serve` answering its API with the
 * promoted tokens of the logit lens.
 */
const skip = skipWhenMissing("python3 with NumPy", numpyMissing);
const dir = useTemporaryFolder("cosae-families-cli-");
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const README_HARVEST = /^node dist\/src\/cli\/main\.js harvest --model runs\/model-fixtures\/(\w+) (.*)$/gm;

/** The README's harvest arguments by family. */
function readmeHarvests(): Map<string, string[]> {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const out = new Map<string, string[]>();
  for (const m of readme.matchAll(README_HARVEST)) out.set(m[1]!, m[2]!.split(" "));
  return out;
}

/** Hooks each family must list (beyond the common ones): the layouts differ. */
const FAMILY_HOOKS: Record<Family, string[]> = {
  gpt2: ["hook_pos_embed", "blocks.1.hook_resid_mid"],
  gpt_neox: [],
  gemma2: ["blocks.2.ln1_post.hook_normalized", "blocks.2.ln2_post.hook_normalized"],
  llama: ["blocks.1.hook_resid_mid"],
  qwen2: ["blocks.1.hook_resid_mid"],
};

/** What inspect must say of each fixture's config: its distinctive traits. */
const FAMILY_CONFIG: Record<Family, RegExp[]> = {
  gpt2: [/dim 48\b/, /LayerNorm/, /learned positions/, /tied/],
  gpt_neox: [/dim 64\b/, /LayerNorm/, /4 of 16 head dims/, /parallel residual/],
  gemma2: [/dim 48\b/, /of 16\b/, /soft-cap 2\.5/, /sliding window 4\b/, /final soft-cap 6\b/],
  llama: [/dim 64\b/, /2 key\/value/, /llama3/],
  qwen2: [/dim 64\b/, /2 key\/value/, /biases: qkv/],
};

/** The BOS each family's harvest puts first (GPT-2, Pythia and Qwen have none of their own: <|endoftext|>). */
const BOS: Record<Family, string> = {
  gpt2: "<|endoftext|>",
  gpt_neox: "<|endoftext|>",
  gemma2: "<bos>",
  llama: "<|begin_of_text|>",
  qwen2: "<|endoftext|>",
};

let fixtures = "";
/** The five folders, written once by the script behind npm run fixtures:models (into the temporary folder). */
function fixtureRoot(): string {
  if (fixtures) return fixtures;
  const out = join(dir(), "model-fixtures");
  const r = spawnSync(process.execPath, [join(repoRoot, "scripts", "make-model-fixtures.mjs"), out], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  fixtures = out;
  return out;
}

test("the README shows one harvest command per family, on the folders npm run fixtures:models writes, and CI runs them", () => {
  assert.deepEqual([...readmeHarvests().keys()].sort(), [...FAMILIES].sort());
  const ci = readFileSync(join(repoRoot, ".ci", "run"), "utf8");
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const lines = (text: string) => [...text.matchAll(README_HARVEST)].map((m) => m[0]);
  assert.deepEqual(lines(ci), lines(readme), "CI runs the README's harvest lines as they are");
  assert.match(ci, /^npm run fixtures:models$/m);
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
  assert.match(pkg.scripts["fixtures:models"], /make-model-fixtures\.mjs/);
});

for (const family of FAMILIES) {
  test(`${family}: inspect, the README's harvest, train, eval with the spliced loss, and serve with the logit lens`, {
    skip,
  }, async () => {
    const model = join(fixtureRoot(), family);
    const config = JSON.parse(readFileSync(join(model, "config.json"), "utf8"));
    const layers: number = config.num_hidden_layers ?? config.n_layer;

    const inspect = cosae("inspect", model);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.match(inspect.stdout, new RegExp(family));
    for (const trait of FAMILY_CONFIG[family]) assert.match(inspect.stdout, trait);
    for (const hook of [
      "blocks.0.hook_resid_pre",
      "blocks.0.ln1.hook_normalized",
      "blocks.0.hook_attn_out",
      "blocks.0.mlp.hook_post",
      "blocks.0.hook_mlp_out",
      "blocks.0.hook_resid_post",
      `blocks.${layers}.hook_resid_pre`,
      "ln_final.hook_normalized",
      ...FAMILY_HOOKS[family],
    ]) {
      assert.ok(inspect.stdout.includes(hook), `inspect ${family} lists ${hook}:\n${inspect.stdout}`);
    }
    if (family === "gpt_neox") {
      assert.ok(!inspect.stdout.includes("hook_resid_mid"), "a parallel block has no resid_mid");
    }

    // The fixture's tokenizer, of the family's own kind, through cosae's loader: its BOS, merges and bytes.
    const tokenizer = (await loadTransformer(model)).tokenizer!;
    assert.equal(tokenizer.tokenString(tokenizer.bosId), BOS[family]);
    const text = "Once upon a time, Lily's 12345 dogs ran! 🙂 naïve  spaces\n\nend";
    const encoded = tokenizer.encode(text);
    assert.equal(encoded[0], tokenizer.bosId);
    assert.equal(tokenizer.decode(encoded), text);
    assert.ok(encoded.length < 0.7 * Buffer.byteLength(text), `${encoded.length} tokens: merges apply`);

    // The README's command, with runs/ moved into the temporary folder.
    const args = readmeHarvests()
      .get(family)!
      .map((a) => (a.startsWith("runs/") ? join(dir(), a) : a));
    const data = args[args.indexOf("--out") + 1]!;
    const harvest = spawnSync(
      process.execPath,
      [join(repoRoot, "dist", "src", "cli", "main.js"), "harvest", "--model", model, ...args],
      { cwd: repoRoot, encoding: "utf8" },
    );
    assert.equal(harvest.status, 0, harvest.stderr);
    const shown = cosae("inspect", data);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`rows, d=${config.hidden_size ?? config.n_embd}, f32`));

    // The harvested rows of the first sequence are the reference's hook values on the same tokens
    // (with the BOS the harvest put at position 0 and dropped, when the tokenizer has one).
    const hook = args[args.indexOf("--hook") + 1]!;
    const dataset = await ActivationDataset.open(data);
    const head = await dataset.readTokens(0, 256);
    const count = head.sequence.findIndex((s) => s !== head.sequence[0]);
    const start = head.position[0]!;
    assert.ok(count > 8 && start <= 1, `first sequence: ${count} rows from position ${start}`);
    const ids = [...head.ids.subarray(0, count)];
    if (start === 1) ids.unshift(tokenizer.bosId);
    const reference = await referenceForward(model, [ids], join(dir(), `${family}-harvest-reference`));
    const width = config.hidden_size ?? config.n_embd;
    const want = reference.sequences[0]!.arrays.get(hook)!.subarray(start * width);
    const error = relativeError(await dataset.readRows(0, count), want);
    assert.ok(error < 1e-4, `${family}: harvested ${hook} off by ${error} relative`);
    console.log(
      `# ${family}: harvested ${hook} of ${count} tokens from position ${start}: ${error.toExponential(2)}`,
    );

    const run = join(dir(), `${family}-run`);
    const train = cosae(
      "train",
      ...["--data", data, "--m", "64", "--k", "4", "--batchSize", "256", "--steps", "20", "--out", run],
    );
    assert.equal(train.code, 0, train.stderr);
    const sae = join(run, "sae");

    const evaluated = cosae("eval", sae, "--data", data, "--model", model, "--evalTokens", "300");
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const loss = /next-token loss clean (\d+\.\d{4}), spliced (\d+\.\d{4}), zero-ablated (\d+\.\d{4})/.exec(
      evaluated.stdout,
    );
    assert.ok(loss, `eval printed no spliced loss:\n${evaluated.stdout}`);
    const [clean, spliced, zero] = loss.slice(1).map(Number) as [number, number, number];
    assert.ok(clean > 0 && spliced > 0 && zero > 0, evaluated.stdout);
    assert.notEqual(clean, zero, "zero-ablating the hook changes the loss");

    const served = await spawnServe([sae, "--data", data, "--port", "0", "--tokens", "1000"]);
    try {
      const saes = (await (await fetch(new URL("/api/saes", served.url))).json()) as { saes: unknown[] };
      assert.equal(saes.saes.length, 1);
      const latent = (await (await fetch(new URL("/api/saes/0/latents/0", served.url))).json()) as {
        promoted?: { token: string; logit: number }[];
      };
      assert.ok(
        Array.isArray(latent.promoted) && latent.promoted.length > 0,
        `latent 0 has promoted tokens (the logit lens through ${family}'s final norm and unembedding): ${JSON.stringify(latent).slice(0, 400)}`,
      );
      // Shown as the tokenizer's strings, not as "#id" (which means no tokenizer was found) …
      assert.ok(latent.promoted.every((p) => !/^#\d+$/.test(p.token) && Number.isFinite(p.logit)));
      // … and they are the top tokens of the float64 logit lens of latent 0's direction s·d_0.
      const { sae: trained } = await readSaeFolder(sae);
      const d = trained.config.d;
      const direction = Float32Array.from(
        trained.params.decoder.subarray(0, d),
        (x) => trained.constants.scale * x,
      );
      const want = await referenceLogitLens(model, direction, 1, join(dir(), `${family}-lens`));
      const order = [...want.keys()].sort((a, b) => want[b]! - want[a]! || a - b);
      const top = order.slice(0, latent.promoted.length);
      assert.deepEqual(
        latent.promoted.map((p) => p.token),
        top.map((id) => tokenizer.tokenString(id)),
      );
      // The cache stores 4 significant digits.
      for (const [k, p] of latent.promoted.entries()) {
        const exact = want[top[k]!]!;
        assert.ok(Math.abs(p.logit - exact) <= 1e-3 * Math.abs(exact), `${p.token}: ${p.logit} vs ${exact}`);
      }
    } finally {
      await served.stop();
    }
  });
}
