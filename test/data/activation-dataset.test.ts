import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { ActivationDataset } from "../../src/data/activation-dataset.js";
import type { ActivationDType, ActivationFileFormat } from "../../src/data/activation-manifest.js";
import { ActivationShardWriter } from "../../src/data/activation-shard-writer.js";
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from "../../src/io/half.js";
import { writeNpy } from "../../src/io/npy.js";
import { writeSafetensors } from "../../src/io/safetensors.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";
import { exampleRows, sliceRows, writeExampleDataset } from "./activation-fixtures.js";

const dir = useTemporaryFolder("cosae-acts-");
const D = 6;

function stored(x: Float32Array, dtype: ActivationDType): Float32Array {
  if (dtype === "f16") return f16ToF32(f32ToF16(x));
  if (dtype === "bf16") return bf16ToF32(f32ToBf16(x));
  return x;
}

test("every shard format and dtype round-trips through the writer and reader", async () => {
  const rows = 500;
  const combos: Array<[ActivationFileFormat, ActivationDType]> = [
    ["safetensors", "f32"],
    ["safetensors", "f16"],
    ["safetensors", "bf16"],
    ["npy", "f32"],
    ["npy", "f16"],
  ];
  for (const [fileFormat, dtype] of combos) {
    const folder = join(dir(), `rt-${fileFormat}-${dtype}`);
    const all = await writeExampleDataset(folder, rows, {
      d: D,
      dtype,
      fileFormat,
      shardRows: 64,
      model: "toy",
      hook: "blocks.0.hook_resid_post",
      source: "corpus.txt",
      contextLength: 9,
      createdBy: "test",
      vocab: Array.from({ length: 50 }, (_, i) => `tok${i}`),
    });
    const ds = await ActivationDataset.open(folder);
    const what = `${fileFormat} ${dtype}`;
    assert.equal(ds.rows, rows, what);
    assert.equal(ds.d, D);
    assert.equal(ds.dtype, dtype);
    assert.ok(ds.shards.length >= 7, `${what}: ${ds.shards.length} shards`);
    const m = ds.manifest!;
    assert.equal(m.complete, true);
    assert.equal(m.model, "toy");
    assert.equal(m.contextLength, 9);
    assert.deepEqual(m.next, { sequence: all.tokens.sequence[rows - 1]! + 1, rows });
    const want = stored(all.x, dtype);
    assert.deepEqual(await ds.readRows(0, rows), want, what);
    // Row ranges, including ones across shard boundaries, equal slices of the full read.
    for (const [a, n] of [
      [0, 1],
      [60, 10],
      [63, 130],
      [499, 1],
      [250, 0],
    ] as const) {
      assert.deepEqual(await ds.readRows(a, n), want.slice(a * D, (a + n) * D), `${what} rows ${a}+${n}`);
    }
    assert.deepEqual(await ds.readTokens(0, rows), all.tokens, what);
    assert.deepEqual(await ds.readTokens(100, 50), sliceRows(all, D, 100, 150).tokens);
    // Shards never split a sequence, and hold about shardRows rows.
    let start = 0;
    for (const [i, s] of m.shards.entries()) {
      const t = await ds.readTokens(start, s.rows);
      assert.equal(t.sequence[0], s.firstSequence);
      assert.equal(t.sequence[s.rows - 1], s.lastSequence);
      if (i > 0) assert.ok(s.firstSequence > m.shards[i - 1]!.lastSequence);
      if (i < m.shards.length - 1) assert.ok(s.rows <= 64 && s.rows > 50, `shard ${i}: ${s.rows} rows`);
      start += s.rows;
    }
    assert.equal((await ds.vocab())![7], "tok7");
    assert.deepEqual(ds.locate(65), {
      shard: 1,
      file: join(folder, m.shards[1]!.file),
      row: 65 - m.shards[0]!.rows,
    });
  }
  // npy shards: an activation file and a token table per shard; nothing else.
  const npyFiles = readdirSync(join(dir(), "rt-npy-f16")).sort();
  assert.deepEqual(npyFiles.slice(0, 3), ["manifest.json", "shard-00000.npy", "shard-00000.tokens.npy"]);
  assert.ok(
    npyFiles.every((f) => /^(manifest|vocab)\.json$|^shard-\d{5}(\.tokens)?\.npy$/.test(f)),
    npyFiles.join(),
  );
});

test("a single .npy or .safetensors file opens as a one-shard dataset", async () => {
  const all = exampleRows(30, D);
  const npy = join(dir(), "single.npy");
  await writeNpy(npy, all.x, [30, D]);
  const a = await ActivationDataset.open(npy);
  assert.equal(a.rows, 30);
  assert.equal(a.hasTokens, false);
  assert.equal(a.manifest, null);
  assert.deepEqual(await a.readRows(5, 10), all.x.slice(5 * D, 15 * D));
  // With a sibling token table ([N] ids only: sequence and position unknown).
  const withIds = join(dir(), "ids.npy");
  await writeNpy(withIds, f32ToF16(all.x), [30, D]);
  await writeNpy(join(dir(), "ids.tokens.npy"), BigInt64Array.from(all.tokens.ids, BigInt), [30]);
  const b = await ActivationDataset.open(withIds);
  assert.equal(b.dtype, "f16");
  assert.deepEqual((await b.readTokens(2, 3)).ids, all.tokens.ids.slice(2, 5));
  assert.deepEqual((await b.readTokens(2, 3)).sequence, Int32Array.from([-1, -1, -1]));

  // safetensors: the only 2-D float tensor, whatever its name, plus token_ids.
  const st = join(dir(), "single.safetensors");
  await writeSafetensors(st, {
    resid: { dtype: "BF16", shape: [30, D], data: f32ToBf16(all.x) },
    token_ids: { dtype: "I64", shape: [30], data: BigInt64Array.from(all.tokens.ids, BigInt) },
    scale: { dtype: "F32", shape: [1], data: Float32Array.from([1]) },
  });
  const c = await ActivationDataset.open(st);
  assert.equal(c.dtype, "bf16");
  assert.deepEqual(await c.readRows(0, 30), stored(all.x, "bf16"));
  assert.deepEqual((await c.readTokens(0, 30)).ids, all.tokens.ids);
  // Two candidates and none named "activations": refused, naming them.
  const two = join(dir(), "two.safetensors");
  await writeSafetensors(two, {
    a: { dtype: "F32", shape: [2, 2], data: new Float32Array(4) },
    b: { dtype: "F32", shape: [2, 2], data: new Float32Array(4) },
  });
  await assert.rejects(
    ActivationDataset.open(two),
    new RegExp(`${two}: no tensor named "activations" and 2 2-D float tensors \\(a, b\\)`),
  );
  const ints = join(dir(), "ints.safetensors");
  await writeSafetensors(ints, { activations: { dtype: "I32", shape: [2, 2], data: new Int32Array(4) } });
  await assert.rejects(
    ActivationDataset.open(ints),
    /tensor "activations" has dtype I32; expected F32, F16 or BF16/,
  );
});

test("a killed writer resumes after its last complete shard, to the same dataset", async () => {
  const rows = 400;
  const options = { d: D, dtype: "f16", fileFormat: "safetensors", shardRows: 50 } as const;
  const straight = join(dir(), "straight");
  await writeExampleDataset(straight, rows, options);

  const killed = join(dir(), "killed");
  const all = exampleRows(rows, D);
  const first = await ActivationShardWriter.open(killed, options);
  await first.append(sliceRows(all, D, 0, 170).x, sliceRows(all, D, 0, 170).tokens);
  // "Killed": the writer is dropped without finish(); a half-written shard is left behind.
  await writeFile(join(killed, ".shard-00003.safetensors.12345.abcdef.tmp"), "partial");
  await writeFile(join(killed, "shard-00009.safetensors"), "unlisted leftover");
  const partial = await ActivationDataset.open(killed);
  assert.equal(partial.manifest!.complete, false);
  assert.ok(partial.rows > 0 && partial.rows < 170, `${partial.rows} rows stored`);
  await assert.rejects(
    ActivationShardWriter.open(killed, options),
    /already holds an activation dataset \(manifest\.json\); open with resume/,
  );
  await assert.rejects(
    ActivationShardWriter.open(killed, { ...options, d: 7, resume: true }),
    /field "d" is 6; the writer was opened with 7/,
  );

  const resumed = await ActivationShardWriter.open(killed, { ...options, resume: true });
  assert.deepEqual(
    readdirSync(killed).filter((f) => f.endsWith(".tmp") || f.includes("00009")),
    [],
  );
  const next = resumed.next;
  assert.equal(next.rows, partial.rows);
  // The producer restarts at the first sequence not stored.
  const from = all.tokens.sequence.indexOf(next.sequence);
  assert.equal(from, next.rows);
  // A row from an already stored sequence is refused.
  await assert.rejects(
    resumed.append(sliceRows(all, D, from - 1, from).x, sliceRows(all, D, from - 1, from).tokens),
    /non-decreasing sequence indices starting at/,
  );
  for (let a = from; a < rows; a += 61) {
    const part = sliceRows(all, D, a, Math.min(rows, a + 61));
    await resumed.append(part.x, part.tokens);
  }
  await resumed.finish();
  const files = (f: string) => readdirSync(f).sort();
  assert.deepEqual(files(killed), files(straight));
  for (const f of files(straight)) {
    assert.ok(readFileSync(join(killed, f)).equals(readFileSync(join(straight, f))), `${f} differs`);
  }
  await assert.rejects(
    ActivationShardWriter.open(killed, { ...options, resume: true }),
    /is complete; nothing to resume/,
  );
});

test("bad datasets are refused with the file and the field, offset or row", async () => {
  const base = join(dir(), "base");
  await writeExampleDataset(base, 200, { d: D, shardRows: 60 });
  const manifest = JSON.parse(readFileSync(join(base, "manifest.json"), "utf8"));

  /** A copy of `base` with its manifest changed by `edit`, or a shard file changed by `damage`. */
  async function variant(
    name: string,
    edit: (m: typeof manifest) => void,
    damage?: (folder: string) => Promise<void>,
  ) {
    const folder = join(dir(), name);
    await mkdir(folder);
    for (const f of readdirSync(base)) await writeFile(join(folder, f), readFileSync(join(base, f)));
    const m = structuredClone(manifest);
    edit(m);
    await writeFile(join(folder, "manifest.json"), JSON.stringify(m));
    await damage?.(folder);
    return folder;
  }
  const manifestCases: Array<[string, (m: typeof manifest) => void, RegExp]> = [
    [
      "format",
      (m) => (m.format = "webdataset"),
      /field "format" is "webdataset"; expected "cosae-activations"/,
    ],
    ["version", (m) => (m.version = 2), /field "version" is 2; expected 1/],
    ["dtype", (m) => (m.dtype = "int8"), /field "dtype" is "int8"; expected one of f32, f16, bf16/],
    ["rowsum", (m) => (m.rows = 199), /field "rows" is 199; expected the sum of the shards' rows \(200\)/],
    [
      "shardrows",
      (m) => (m.shards[1].rows = -3),
      /field "shards\[1\]\.rows" is -3; expected an integer >= 1/,
    ],
    [
      "nofile",
      (m) => (m.shards[0].file = "../x"),
      /field "shards\[0\]\.file" is "\.\.\/x"; expected a file name/,
    ],
  ];
  for (const [name, edit, pattern] of manifestCases) {
    const folder = await variant(name, edit);
    await assert.rejects(ActivationDataset.open(folder), (e: Error) => {
      assert.match(e.message, pattern, name);
      assert.ok(e.message.startsWith(join(folder, "manifest.json")), e.message);
      return true;
    });
  }
  const d = await variant("d", (m) => (m.d = 8));
  await assert.rejects(
    ActivationDataset.open(d),
    new RegExp(`${join(d, "shard-00000.safetensors")}: d is 6 but ${join(d, "manifest.json")} says 8`),
  );
  const rows = await variant("rows", (m) => {
    m.shards[1].rows += 1;
    m.shards[2].rows -= 1;
  });
  await assert.rejects(
    ActivationDataset.open(rows),
    /shard-00001\.safetensors: rows is \d+ but .*manifest\.json says \d+ \(shards\[1\]\.rows\)/,
  );
  const missing = await variant(
    "missing",
    () => undefined,
    async (f) => {
      const { rm } = await import("node:fs/promises");
      await rm(join(f, "shard-00002.safetensors"));
    },
  );
  await assert.rejects(
    ActivationDataset.open(missing),
    /manifest\.json: shards\[2\]\.file "shard-00002\.safetensors" is missing/,
  );
  const truncated = await variant(
    "truncated",
    () => undefined,
    (f) => truncate(join(f, "shard-00001.safetensors"), 500),
  );
  await assert.rejects(
    ActivationDataset.open(truncated),
    /shard-00001\.safetensors: .*data_offsets .* run past the end/,
  );
  await assert.rejects(ActivationDataset.open(join(dir(), "nowhere")), /nowhere: not found/);
  await assert.rejects(ActivationDataset.open(dir()), /folder has no manifest\.json/);
});

test("NaN and Inf rows: an error naming file and row, or skipped on request", async () => {
  const x = exampleRows(20, D).x;
  x[7 * D + 2] = Number.NaN;
  x[13 * D] = Number.POSITIVE_INFINITY;
  const path = join(dir(), "nan.npy");
  await writeNpy(path, x, [20, D]);
  const strict = await ActivationDataset.open(path);
  assert.deepEqual(await strict.readRows(0, 7), x.slice(0, 7 * D));
  await assert.rejects(
    strict.readRows(3, 10),
    new RegExp(
      `^ActivationDatasetError: ${path}: row 7 \\(dataset row 7\\) has NaN at column 2; expected finite`,
    ),
  );
  const skip = await ActivationDataset.open(path, { nonFinite: "skip" });
  const kept = await skip.readRows(0, 20);
  assert.equal(kept.length, 18 * D);
  assert.deepEqual(kept.slice(7 * D, 8 * D), x.slice(8 * D, 9 * D));

  // In a shard folder the message names the shard and its row.
  const folder = join(dir(), "nanshards");
  const w = await ActivationShardWriter.open(folder, { d: D, shardRows: 10 });
  const all = exampleRows(40, D);
  all.x[25 * D + 1] = Number.NEGATIVE_INFINITY;
  await w.append(all.x, all.tokens);
  await w.finish();
  const ds = await ActivationDataset.open(folder);
  const where = ds.locate(25);
  await assert.rejects(
    ds.readRows(0, 40),
    new RegExp(`${where.file}: row ${where.row} \\(dataset row 25\\) has -Infinity at column 1`),
  );
});
