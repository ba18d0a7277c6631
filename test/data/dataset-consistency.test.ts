import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { ActivationDataset } from "../../src/data/activation-dataset.js";
import { writeNpy } from "../../src/io/npy.js";
import { readSafetensors, writeSafetensors } from "../../src/io/safetensors.js";
import { cosae } from "../helpers/cosae-cli.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";
import { writeExampleDataset } from "./activation-fixtures.js";

/**
 * Values a dataset stores twice (the manifest and the shards, the vocabulary
 * and the token ids) must agree, and a file with no rows or no columns holds
 * no activations: each is refused when the dataset is opened (inspect, train
 * --data, eval, serve), naming the files.
 */

const dir = useTemporaryFolder("cosae-dataset-consistency-");
const D = 6;
/** exampleRows gives token ids (r · 7) mod 50. */
const VOCAB = Array.from({ length: 50 }, (_, i) => `t${i}`);

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

let counter = 0;

/** A fresh dataset of 200 rows in shards of about 60. */
async function dataset(fileFormat: "safetensors" | "npy" = "safetensors", vocab = VOCAB): Promise<string> {
  const folder = join(dir(), `ds-${counter++}`);
  await writeExampleDataset(folder, 200, { d: D, shardRows: 60, fileFormat, vocab });
  return folder;
}

type Manifest = {
  fileFormat: string;
  vocab: string | null;
  rows: number;
  shards: { file: string; rows: number; firstSequence: number; lastSequence: number }[];
  next: { rows: number; sequence: number };
};

async function editManifest(folder: string, edit: (m: Manifest) => void): Promise<void> {
  const path = join(folder, "manifest.json");
  const m = JSON.parse(readFileSync(path, "utf8")) as Manifest;
  edit(m);
  await writeFile(path, JSON.stringify(m));
}

test("a manifest whose fileFormat contradicts its shards is refused, naming the manifest and the shard", async () => {
  const st = await dataset("safetensors");
  await editManifest(st, (m) => (m.fileFormat = "npy"));
  await assert.rejects(
    ActivationDataset.open(st),
    new RegExp(
      `${escapeRe(join(st, "shard-00000.safetensors"))}: is a \\.safetensors shard but ` +
        `${escapeRe(join(st, "manifest.json"))} says "fileFormat": "npy" \\(shards\\[0\\]\\)`,
    ),
  );
  const npy = await dataset("npy");
  await editManifest(npy, (m) => (m.fileFormat = "safetensors"));
  await assert.rejects(
    ActivationDataset.open(npy),
    /shard-00000\.npy: is a \.npy shard but .*manifest\.json says "fileFormat": "safetensors"/,
  );
});

test("a manifest whose sequence range contradicts a shard is refused, naming both", async () => {
  const folder = await dataset();
  let last = 0;
  await editManifest(folder, (m) => {
    last = m.shards[0]!.lastSequence;
    m.shards[0]!.lastSequence = last - 1;
  });
  await assert.rejects(
    ActivationDataset.open(folder),
    new RegExp(
      `shard-00000\\.safetensors: rows run from sequence 0 to ${last} but .*manifest\\.json \\(shards\\[0\\]\\) says 0 to ${last - 1}`,
    ),
  );
});

test("token ids outside the vocabulary are caught when the dataset opens, naming the shard and the row", async () => {
  // Shard 2, row 5 gets an id one past the vocabulary.
  const folder = await dataset();
  const manifest = JSON.parse(readFileSync(join(folder, "manifest.json"), "utf8")) as Manifest;
  const shard = join(folder, manifest.shards[2]!.file);
  const { tensors } = await readSafetensors(shard);
  const ids = Int32Array.from(tensors.token_ids!.data as Int32Array);
  ids[5] = VOCAB.length;
  await writeSafetensors(shard, { ...tensors, token_ids: { ...tensors.token_ids!, data: ids } });
  const datasetRow = manifest.shards[0]!.rows + manifest.shards[1]!.rows + 5;
  const pattern = new RegExp(
    `${escapeRe(shard)}: row 5 \\(dataset row ${datasetRow}\\) has token id 50, outside the 50 entries of ` +
      `${escapeRe(join(folder, "vocab.json"))}`,
  );
  await assert.rejects(ActivationDataset.open(folder), pattern);

  // A vocabulary shorter than the ids (another tokenizer's), and a negative id, on npy shards.
  const short = await dataset("npy", VOCAB.slice(0, 49));
  await assert.rejects(
    ActivationDataset.open(short),
    /shard-00000\.npy: row 7 \(dataset row 7\) has token id 49, outside the 49 entries of .*vocab\.json/,
  );

  // The commands that open datasets say the same, before any work.
  const inspect = cosae("inspect", folder);
  assert.equal(inspect.code, 1, inspect.stderr);
  assert.match(inspect.stderr, pattern);
  const train = cosae(
    "train",
    "--data",
    folder,
    "--m",
    "16",
    "--k",
    "2",
    "--steps",
    "2",
    "--out",
    join(dir(), "t"),
  );
  assert.equal(train.code, 1, train.stderr);
  assert.match(train.stderr, pattern);
});

test("a manifest's vocab outside the dataset folder is refused", async () => {
  const folder = await dataset();
  await editManifest(folder, (m) => (m.vocab = "../vocab.json"));
  await assert.rejects(
    ActivationDataset.open(folder),
    /manifest\.json: field "vocab" is "\.\.\/vocab\.json"; expected a file name inside the dataset folder/,
  );
});

test("d = 0, zero rows and a manifest with no shards are refused (inspect included)", async () => {
  const zeroD = join(dir(), "zero-d.npy");
  await writeNpy(zeroD, new Float32Array(0), [5, 0]);
  await assert.rejects(
    ActivationDataset.open(zeroD),
    new RegExp(`${escapeRe(zeroD)}: header shape \\(5, 0\\) holds no activations \\(d = 0\\)`),
  );
  const inspect = cosae("inspect", zeroD);
  assert.equal(inspect.code, 1, inspect.stdout);
  assert.match(inspect.stderr, /zero-d\.npy: header shape \(5, 0\) holds no activations \(d = 0\)/);

  const zeroRows = join(dir(), "zero-rows.npy");
  await writeNpy(zeroRows, new Float32Array(0), [0, 4]);
  await assert.rejects(
    ActivationDataset.open(zeroRows),
    /zero-rows\.npy: header shape \(0, 4\) holds no activations \(0 rows\)/,
  );

  const emptyTensor = join(dir(), "zero-rows.safetensors");
  await writeSafetensors(emptyTensor, {
    activations: { dtype: "F32", shape: [0, 4], data: new Float32Array(0) },
  });
  await assert.rejects(
    ActivationDataset.open(emptyTensor),
    /zero-rows\.safetensors: tensor "activations" has shape \[0, 4\] holds no activations \(0 rows\)/,
  );

  const folder = await dataset();
  await editManifest(folder, (m) => {
    m.shards = [];
    m.rows = 0;
    m.next = { rows: 0, sequence: 0 };
  });
  await assert.rejects(
    ActivationDataset.open(folder),
    /manifest\.json: lists no shards, so the dataset holds no rows/,
  );
});

test("a folder copied shard by shard opens as before (the checks accept what the writer wrote)", async () => {
  const folder = await dataset("npy");
  const copy = join(dir(), "copy");
  await mkdir(copy);
  for (const f of readdirSync(folder)) await writeFile(join(copy, f), readFileSync(join(folder, f)));
  const ds = await ActivationDataset.open(copy);
  assert.equal(ds.rows, 200);
  assert.equal((await ds.vocab())?.length, 50);
});
