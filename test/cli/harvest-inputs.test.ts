import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ActivationDataset } from "../../src/data/activation-dataset.js";
import { harvest } from "../../src/data/harvest.js";
import { readDocuments, tokenSequences } from "../../src/data/text-corpus.js";
import { writeSaeFolder } from "../../src/io/sae-folder.js";
import { chooseKernels } from "../../src/kernels/choose-kernels.js";
import { DecoderModel } from "../../src/transformer/decoder.js";
import { loadTransformer } from "../../src/transformer/load-model.js";
import { cosae } from "../helpers/cosae-cli.js";
import { identitySae } from "../helpers/identity-sae.js";
import { corpusStories, stories260kBin, stories260kFolder, tok512Bin } from "../helpers/stories260k.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const dir = useTemporaryFolder("cosae-harvest-inputs-");
const hook = "blocks.1.hook_resid_pre";

/** A corpus of a few KB: the first stories. */
async function smallCorpus(name = "small.txt", stories = 6): Promise<string> {
  const path = join(dir(), name);
  if (!existsSync(path)) await writeFile(path, corpusStories().slice(0, stories).join("\n<|endoftext|>\n"));
  return path;
}

function harvestCli(text: string, out: string, ...more: string[]) {
  return cosae(
    "harvest",
    "--model",
    stories260kBin,
    "--text",
    text,
    "--hook",
    hook,
    "--contextLength",
    "64",
    "--out",
    out,
    ...more,
  );
}

test("a NaN activation stops the harvest naming the hook, the sequence and the position, and no shard holds it", async () => {
  const base = await loadTransformer(stories260kBin);
  const tokenizer = base.tokenizer!;
  const text = await smallCorpus();
  const sequences = [...tokenSequences(readDocuments(text), (t) => tokenizer.encode(t), tokenizer.bosId, 64)];
  // A token that first appears in a later sequence: its embedding row becomes NaN (finite weights could overflow alike).
  const seen = new Set(sequences[0]!.ids);
  let at: { sequence: number; position: number; id: number } | null = null;
  for (const s of sequences.slice(3)) {
    const p = s.ids.findIndex(
      (id, t) => t > 0 && !seen.has(id) && !sequences.slice(0, s.index).some((q) => q.ids.includes(id)),
    );
    if (p > 0) {
      at = { sequence: s.index, position: p, id: s.ids[p]! };
      break;
    }
  }
  assert.ok(at !== null);
  const dim = base.config.dim;
  const tokenEmbedding = base.weights.tokenEmbedding.slice();
  tokenEmbedding[at.id * dim + 7] = Number.NaN;
  const model = new DecoderModel(
    base.config,
    { ...base.weights, tokenEmbedding, classifier: tokenEmbedding },
    { source: "nan-model", format: "test", tokenizer },
  );
  const folder = join(dir(), "nan");
  const kernels = await chooseKernels(1);
  try {
    await assert.rejects(
      harvest({
        model,
        modelPath: stories260kBin,
        text,
        outputs: [{ hook, folder }],
        contextLength: 64,
        batchTokens: 64,
        maxRows: null,
        skipBos: true,
        shardRows: 20,
        dtype: "f32",
        fileFormat: "safetensors",
        resume: false,
        kernels,
      }),
      new RegExp(
        `--hook ${hook}: the model nan-model gives NaN at sequence ${at.sequence}, position ${at.position} \\(token ${at.id} .*\\), component \\d+; expected finite activations`,
      ),
    );
  } finally {
    await kernels.dispose();
  }
  const kept = await ActivationDataset.open(folder);
  assert.equal(kept.manifest?.complete, false);
  assert.ok(kept.rows > 0, "the shards before the bad sequence are kept");
  assert.ok(kept.manifest.shards.every((s) => s.lastSequence < at.sequence));
  assert.ok((await kept.readRows(0, kept.rows)).every(Number.isFinite));
});

test("--out that is a file or a folder of other files is refused, and none of its files is touched", async () => {
  const text = await smallCorpus();
  const file = join(dir(), "a-file");
  await writeFile(file, "mine");
  const r = harvestCli(text, file);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`--out ${file} is a file, not a folder`));
  assert.equal(readFileSync(file, "utf8"), "mine");

  const folder = join(dir(), "mine");
  await mkdir(folder);
  // A shard-named file is what an unlisted-shard clean-up would have removed.
  await writeFile(join(folder, "shard-00000.safetensors"), "keep");
  await writeFile(join(folder, "notes.txt"), "keep");
  for (const resume of [[], ["--resume"]]) {
    const f = harvestCli(text, folder, ...resume);
    assert.equal(f.code, 1);
    assert.match(
      f.stderr,
      new RegExp(
        `--out ${folder} is not empty \\(notes\\.txt, shard-00000\\.safetensors\\) and holds no activation dataset`,
      ),
    );
  }
  assert.deepEqual(readdirSync(folder).sort(), ["notes.txt", "shard-00000.safetensors"]);
  assert.equal(readFileSync(join(folder, "shard-00000.safetensors"), "utf8"), "keep");
});

test("harvest records the model, tokenizer and corpus resolved; a second harvest needs --resume, which checks the recipe", async () => {
  const text = await smallCorpus();
  const out = join(dir(), "resolved");
  const r = cosae(
    "harvest",
    "--model",
    relative(process.cwd(), stories260kBin),
    "--tokenizer",
    relative(process.cwd(), tok512Bin),
    "--text",
    relative(process.cwd(), text),
    "--hook",
    hook,
    "--contextLength",
    "64",
    "--out",
    out,
  );
  assert.equal(r.code, 0, r.stderr);
  const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
  assert.equal(manifest.model, stories260kBin);
  assert.equal(manifest.tokenizer, tok512Bin);
  assert.equal(manifest.source, text);

  const again = harvestCli(text, out, "--tokenizer", tok512Bin);
  assert.match(
    again.stderr,
    new RegExp(`--out ${out} already holds an activation dataset \\(manifest\\.json\\); add --resume`),
  );
  manifest.complete = false;
  await writeFile(join(out, "manifest.json"), JSON.stringify(manifest));
  const other = await smallCorpus("other.txt", 3);
  const resumed = harvestCli(other, out, "--tokenizer", tok512Bin, "--resume");
  assert.equal(resumed.code, 1);
  assert.match(
    resumed.stderr,
    new RegExp(`--resume: .*manifest\\.json was harvested with --text ${text}, not ${other}`),
  );
  const noTokenizer = harvestCli(text, out, "--resume");
  assert.match(
    noTokenizer.stderr,
    /was harvested with --tokenizer .*tok512\.bin, not \(the one beside the model\)/,
  );
});

test("an empty corpus, a folder or a non-UTF-8 file as --text, a wrong --hook and a folder as --tokenizer are refused before anything is written", async () => {
  const empty = join(dir(), "empty.txt");
  await writeFile(empty, "\n  \n<|endoftext|>\n\n");
  const out = join(dir(), "never");
  const e = harvestCli(empty, out);
  assert.equal(e.code, 1);
  assert.match(e.stderr, new RegExp(`--text ${empty} holds no documents .*; pass a corpus with text`));
  const f = harvestCli(dir(), out);
  assert.match(f.stderr, new RegExp(`--text: ${dir()} is a folder, not a file \\(EISDIR\\)`));
  const u = harvestCli(stories260kBin, out);
  assert.match(
    u.stderr,
    /--text: .*stories260K\.bin is not valid UTF-8 \(first invalid byte at offset \d+\)/,
  );
  const text = await smallCorpus();
  const h = cosae(
    "harvest",
    "--model",
    stories260kBin,
    "--text",
    text,
    "--hook",
    "blocks.1.hook_resid_prex",
    "--out",
    out,
  );
  assert.match(
    h.stderr,
    /--hook "blocks\.1\.hook_resid_prex" is not a hook of .*stories260K\.bin; it has 43 hooks/,
  );
  const t = harvestCli(text, out, "--tokenizer", stories260kFolder);
  assert.match(
    t.stderr,
    new RegExp(`--tokenizer: ${stories260kFolder} is a folder, not a file; pass the tokenizer file itself`),
  );
  const m = harvestCli(text, out, "--model", text);
  assert.match(m.stderr, /--model: .*small\.txt is not a llama2\.c checkpoint/);
  assert.ok(!existsSync(out), "nothing is written");
});

test("eval from another folder finds the manifest's model; an old relative path is tried against both folders and a missing one is said before evaluating", async () => {
  const text = await smallCorpus();
  const data = join(dir(), "eval-data");
  assert.equal(harvestCli(text, data).code, 0);
  const sae = join(dir(), "sae");
  await writeSaeFolder(sae, identitySae(64));
  const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
  const evalFrom = (cwd: string) =>
    spawnSync(process.execPath, [main, "eval", sae, "--data", data, "--evalTokens", "300"], {
      cwd,
      encoding: "utf8",
    });

  // Deep enough that the dataset's relative path does not also resolve from here.
  const far = join(dir(), "elsewhere", "deeper", "still");
  await mkdir(far, { recursive: true });
  const ok = evalFrom(far);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /next-token loss clean \d/);

  const manifestPath = join(data, "manifest.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  // As an older cosae wrote it: relative to where the harvest ran (here: the dataset's folder).
  await writeFile(manifestPath, JSON.stringify({ ...manifest, model: relative(data, stories260kBin) }));
  const old = evalFrom(far);
  assert.equal(old.status, 0, old.stderr);
  assert.match(
    old.stderr,
    /spliced loss: the relative path ".*stories260K\.bin" was read from the dataset's folder/,
  );
  assert.match(old.stdout, /next-token loss clean \d/);

  await writeFile(manifestPath, JSON.stringify({ ...manifest, model: "models/gone.bin" }));
  const gone = evalFrom(far);
  assert.equal(gone.status, 0, gone.stderr);
  assert.match(
    gone.stderr,
    /spliced loss: not measured: the model .*manifest\.json names, models\/gone\.bin, is not here \(tried .*still\/models\/gone\.bin, .*eval-data\/models\/gone\.bin\); pass --model/,
  );
  assert.doesNotMatch(gone.stdout, /next-token loss/);
  const wrong = spawnSync(
    process.execPath,
    [main, "eval", sae, "--data", data, "--evalTokens", "300", "--model", "nope.bin"],
    {
      cwd: far,
      encoding: "utf8",
    },
  );
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /--model nope\.bin does not exist/);
});
