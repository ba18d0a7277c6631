import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { writeSaeFolder } from "../../src/io/sae-folder.js";
import { cosae } from "../helpers/cosae-cli.js";
import { identitySae } from "../helpers/identity-sae.js";
import { tok512Bin } from "../helpers/stories260k.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const dir = useTemporaryFolder("cosae-inspect-");

/** Every layout cosae reads is named when a path is none of them. */
function assertListsLayouts(stderr: string): void {
  for (const layout of [
    "a llama2.c checkpoint",
    "a Hugging Face model folder",
    "an activation dataset folder",
    "an activation file",
    "a cosae SAE folder",
    "a SAELens SAE folder",
  ]) {
    assert.ok(stderr.includes(layout), `${layout} in: ${stderr}`);
  }
}

async function folderWith(name: string, files: string[]): Promise<string> {
  const folder = join(dir(), name);
  await mkdir(folder, { recursive: true });
  for (const f of files) await writeFile(join(folder, f), "x");
  return folder;
}

test("inspect of a folder it cannot read names every layout it knows and the one the folder most resembles", async () => {
  const sae = await folderWith("sae-no-cfg", ["sae_weights.safetensors"]);
  const a = cosae("inspect", sae);
  assert.equal(a.code, 1);
  assert.match(
    a.stderr,
    /sae-no-cfg is not a layout cosae knows: it most resembles an SAE folder \(cosae or SAELens\) without cfg\.json \(it has sae_weights\.safetensors\)/,
  );
  assert.doesNotMatch(a.stderr, /expected a Hugging Face model folder/);
  assertListsLayouts(a.stderr);

  const data = await folderWith("data-no-manifest", [
    "shard-00000.safetensors",
    "shard-00001.safetensors",
    "vocab.json",
  ]);
  const b = cosae("inspect", data);
  assert.match(
    b.stderr,
    /data-no-manifest is not a layout cosae knows: it most resembles an activation dataset folder without manifest\.json \(it has shard-00000\.safetensors, shard-00001\.safetensors, vocab\.json\)/,
  );
  assertListsLayouts(b.stderr);

  const hf = await folderWith("hf-no-weights", ["config.json", "tokenizer.json"]);
  assert.match(
    cosae("inspect", hf).stderr,
    /it most resembles a Hugging Face model folder without model\.safetensors or model\.safetensors\.index\.json \(it has config\.json, tokenizer\.json\)/,
  );
  const empty = await folderWith("empty", []);
  const c = cosae("inspect", empty);
  assert.match(c.stderr, /empty is an empty folder; cosae reads/);
  const other = await folderWith("other", ["notes.txt"]);
  assert.match(cosae("inspect", other).stderr, /other holds no layout cosae knows; cosae reads/);
});

test("inspect of a file it cannot read says what it is not, and of one file of a folder points to the folder", async () => {
  const text = join(dir(), "story.txt");
  await writeFile(text, "Once upon a time there was a little robot who liked to read files.\n".repeat(20));
  const t = cosae("inspect", text);
  assert.equal(t.code, 1);
  assert.match(t.stderr, /story\.txt is not a llama2\.c checkpoint: its header values are implausible/);
  assertListsLayouts(t.stderr);
  const tiny = join(dir(), "tiny");
  await writeFile(tiny, "abc");
  const s = cosae("inspect", tiny);
  assert.match(
    s.stderr,
    /tiny: file is 3 bytes, shorter than the 28-byte llama2\.c header .* so it is not a llama2\.c checkpoint/,
  );
  assertListsLayouts(s.stderr);

  assert.match(
    cosae("inspect", tok512Bin).stderr,
    /tok512\.bin is a llama2\.c tokenizer \(512 tokens\), not a model; inspect the model it belongs to/,
  );

  const sae = join(dir(), "run", "sae");
  await writeSaeFolder(sae, identitySae(4));
  const cfg = cosae("inspect", join(sae, "cfg.json"));
  assert.match(
    cfg.stderr,
    new RegExp(`cfg\\.json is one file of a folder layout; inspect the folder that holds it \\(${sae}\\)`),
  );
});

test("inspect of a run folder describes its SAE", async () => {
  const run = join(dir(), "run");
  await writeSaeFolder(join(run, "sae"), identitySae(4));
  await writeFile(join(run, "run.json"), "{}");
  const r = cosae("inspect", run);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^run .*run \(run\.json\); its SAE:\nSAE .*sae\n/);
  assert.match(r.stdout, /d 4, m 8/);
});
