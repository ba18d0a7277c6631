import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { cp, mkdir, open, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { writeSaeFolder } from "../../src/io/sae-folder.js";
import { readSafetensors, writeSafetensors } from "../../src/io/safetensors.js";
import { writeExampleDataset } from "../data/activation-fixtures.js";
import { cosae } from "../helpers/cosae-cli.js";
import { randomSae } from "../helpers/random-sae.js";
import { corpusPath, stories260kBin } from "../helpers/stories260k.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

/**
 * eval, serve, export and import check what they will write, how much memory
 * they will need, the SAE's d and serve's --host before any work, and a system
 * error while writing (a full disk) names the option and leaves what was there.
 */

const dir = useTemporaryFolder("cosae-command-checks-");
const D = 6;

let setupDone: { data: string; sae: string } | null = null;

/** A 200-row dataset (d = 6, vocab of 50) and an SAE for it. */
async function setup(): Promise<{ data: string; sae: string }> {
  if (setupDone) return setupDone;
  const data = join(dir(), "data");
  await writeExampleDataset(data, 200, {
    d: D,
    shardRows: 80,
    vocab: Array.from({ length: 50 }, (_, i) => `t${i}`),
  });
  const sae = join(dir(), "sae");
  await writeSaeFolder(sae, randomSae({ d: D, m: 8, k: 2 }));
  setupDone = { data, sae };
  return setupDone;
}

/** Every file under `root` with its size: what "nothing written" compares. */
function snapshot(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: "utf8" })
    .map((f) => `${f} ${statSync(join(root, f)).size}`)
    .sort();
}

/**
 * A single-file dataset whose header says 2^27 rows of d = 64 with token ids:
 * a sparse file of 35 GB that takes no space, for sizes no machine holds.
 */
async function hugeDataset(path: string): Promise<void> {
  const rows = 2 ** 27;
  const acts = rows * 64 * 4;
  const header = Buffer.from(
    JSON.stringify({
      activations: { dtype: "F32", shape: [rows, 64], data_offsets: [0, acts] },
      token_ids: { dtype: "I32", shape: [rows], data_offsets: [acts, acts + rows * 4] },
    }),
  );
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  const file = await open(path, "w");
  await file.write(Buffer.concat([length, header]));
  await file.close();
  await truncate(path, 8 + header.length + acts + rows * 4);
}

test("eval checks --json, the SAE's d and --evalTokens before any work", async () => {
  const { data, sae } = await setup();
  const folder = join(dir(), "json-folder");
  await mkdir(folder);
  const cases: [string[], RegExp][] = [
    [["--json", folder], /--json .*json-folder is a folder; expected the name of a file to write/],
    [
      ["--json", join(dir(), "no-folder", "e.json")],
      /--json .*no-folder\/e\.json: its folder .*no-folder does not exist; create it first/,
    ],
    [
      ["--evalTokens", "200"],
      /--evalTokens 200: .*data has only 200 rows, and the held-out tail must leave some before it; pass --evalTokens 199 or fewer/,
    ],
    [["--evalTokens", "1e12"], /--evalTokens 1000000000000: .*data has only 200 rows/],
  ];
  for (const [args, message] of cases) {
    const r = cosae("eval", sae, "--data", data, ...args);
    const what = `eval ${args.join(" ")}`;
    assert.equal(r.code, 1, `${what}: ${r.stderr}`);
    assert.match(r.stderr, message, what);
    assert.equal(r.stdout, "", `${what}: nothing was evaluated`);
    assert.doesNotMatch(r.stderr, /held out/, `${what}: the data was not read`);
  }
  assert.deepEqual(readdirSync(folder), [], "nothing written into the --json folder");

  // An SAE of another d, against the data and against the synthetic default (d = 128).
  const wide = join(dir(), "sae-d8");
  await writeSaeFolder(wide, randomSae({ d: 8, m: 8, k: 2 }));
  const r = cosae("eval", wide, "--data", data);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /sae-d8: the SAE has d = 8 but .*data has d = 6; evaluate it on activations of the hook/,
  );
  assert.doesNotMatch(r.stderr, /held out/);
  const synthetic = cosae("eval", sae);
  assert.match(synthetic.stderr, /the SAE has d = 6 but the synthetic default has d = 128/);
});

test("eval --evalTokens and serve --tokens past what memory holds are refused naming the option", async () => {
  const huge = join(dir(), "huge.safetensors");
  await hugeDataset(huge);
  const sae64 = join(dir(), "sae-d64");
  await writeSaeFolder(sae64, randomSae({ d: 64, m: 8, k: 2 }));
  const evalRun = cosae("eval", sae64, "--data", huge, "--evalTokens", "100000000");
  assert.equal(evalRun.code, 1, evalRun.stderr);
  assert.match(
    evalRun.stderr,
    /evaluating on 100000000 rows of d = 64 would need an array of 6\.400e\+9 elements, .*; lower --evalTokens/,
  );
  const serve = cosae("serve", sae64, "--data", huge, "--port", "0", "--tokens", "100000000");
  assert.equal(serve.code, 1, serve.stderr);
  assert.match(
    serve.stderr,
    /the feature cache over 100000000 rows of d = 64 would need an array of 6\.400e\+9 elements, .*; lower --tokens/,
  );
  assert.deepEqual(readdirSync(sae64).sort(), ["cfg.json", "sae_weights.safetensors"], "no cache written");

  // The synthetic default (d = 128) too.
  const sae128 = join(dir(), "sae-d128");
  await writeSaeFolder(sae128, randomSae({ d: 128, m: 8, k: 2 }));
  const synthetic = cosae("eval", sae128, "--evalTokens", "1e12");
  assert.equal(synthetic.code, 1);
  assert.match(synthetic.stderr, /evaluating on 1000000000000 rows of d = 128 .*; lower --evalTokens/);
});

test("eval names the shard and row of a token id the model cannot replay", async () => {
  const data = join(dir(), "stories");
  const harvest = cosae(
    "harvest",
    ...["--model", stories260kBin, "--text", corpusPath, "--hook", "blocks.1.hook_resid_pre"],
    ...["--contextLength", "64", "--maxTokens", "1500", "--out", data],
  );
  assert.equal(harvest.code, 0, harvest.stderr);
  // A vocabulary longer than the model's, and one id past the model's 512 in the held-out tail.
  const vocab = JSON.parse(readFileSync(join(data, "vocab.json"), "utf8")) as string[];
  await writeFile(join(data, "vocab.json"), JSON.stringify([...vocab, ...vocab]));
  const shard = join(data, "shard-00000.safetensors");
  const { tensors } = await readSafetensors(shard);
  const ids = Int32Array.from(tensors.token_ids!.data as Int32Array);
  const row = ids.length - 3;
  ids[row] = 600;
  await writeSafetensors(shard, { ...tensors, token_ids: { ...tensors.token_ids!, data: ids } });
  const sae = join(dir(), "sae-stories");
  await writeSaeFolder(sae, randomSae({ d: 64, m: 8, k: 2 }));
  const r = cosae("eval", sae, "--data", data, "--evalTokens", "200");
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `shard-00000\\.safetensors: row ${row} \\(dataset row ${row}\\) has token id 600, outside the 512-token ` +
        "vocabulary of the model .*stories260K\\.bin; pass the model the activations were harvested with \\(--model\\)",
    ),
  );
});

test("serve checks --host and --cacheDir before building any cache", async () => {
  const { data, sae } = await setup();
  const file = join(dir(), "a-file");
  await writeFile(file, "not a folder");
  const before = snapshot(sae);
  const cases: [string[], RegExp][] = [
    [["--host", "nosuch.invalid"], /--host nosuch\.invalid: the name does not resolve \(E[A-Z_]+\)/],
    [["--cacheDir", file], /--cacheDir .*a-file: .*a-file is a file, not a folder/],
    [
      ["--cacheDir", join(file, "sub")],
      /--cacheDir .*a-file\/sub: .*a-file is a file, not a folder, so no folder/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = cosae("serve", sae, "--data", data, "--port", "0", ...args);
    const what = `serve ${args.join(" ")}`;
    assert.equal(r.code, 1, `${what}: ${r.stderr}`);
    assert.match(r.stderr, message, what);
    assert.doesNotMatch(r.stderr, /encode|records/, `${what}: no cache was built`);
  }
  assert.deepEqual(snapshot(sae), before, "no cache written into the SAE folder");
});

test("export and import refuse an --out around or inside the SAE, or under a file", async () => {
  const { sae } = await setup();
  // A folder that holds an SAE and, inside it, the SAE to export: replacing it would delete the input.
  const outer = join(dir(), "outer");
  await cp(sae, join(outer, "inner"), { recursive: true });
  await cp(join(sae, "cfg.json"), join(outer, "cfg.json"));
  const before = snapshot(outer);
  const file = join(dir(), "export-file");
  await writeFile(file, "x");
  const cases: [string, string[], RegExp][] = [
    [
      "export",
      [join(outer, "inner"), "--out", outer],
      /--out .*outer holds the input folder .*inner, and would be replaced/,
    ],
    [
      "export",
      [join(outer, "inner"), "--out", join(outer, "inner", "x")],
      /--out .*inner\/x is inside the input folder/,
    ],
    [
      "export",
      [sae, "--out", join(file, "x")],
      /--out .*export-file\/x: .*export-file is a file, not a folder/,
    ],
    [
      "import",
      [sae, "--out", join(file, "x")],
      /--out .*export-file\/x: .*export-file is a file, not a folder/,
    ],
    ["export", [sae, "--out", file], /--out .*export-file exists and is not a folder/],
  ];
  for (const [command, args, message] of cases) {
    const r = cosae(command, ...args);
    const what = `${command} ${args.join(" ")}`;
    assert.equal(r.code, 1, `${what}: ${r.stderr}`);
    assert.match(r.stderr, message, what);
  }
  assert.deepEqual(snapshot(outer), before, "the input and its folder are untouched");
});

/** Mounts a tmpfs of `size` at `path` (root only); null with the reason when it cannot. */
function mountTmpfs(path: string, size: string): string | null {
  if (process.getuid?.() !== 0) return "needs root to mount a tiny tmpfs (CI runs as root)";
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", path], { encoding: "utf8" });
  return r.status === 0 ? null : `mount -t tmpfs failed: ${r.stderr.trim()}`;
}

/** Fills the file system of `folder` to the last byte. */
async function fillDisk(folder: string): Promise<void> {
  const filler = await open(join(folder, "filler"), "w");
  const block = Buffer.alloc(4096, 1);
  try {
    for (;;) await filler.write(block);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
  } finally {
    await filler.close();
  }
}

test("a full disk while writing an export, an import, the feature cache or eval --json names the file and the option, and loses nothing", async (t) => {
  const { data, sae } = await setup();
  const disk = join(dir(), "disk");
  await mkdir(disk);
  const why = mountTmpfs(disk, "256k");
  if (why) {
    t.skip(why);
    return;
  }
  try {
    // What the user had: an earlier export, and the SAE itself on the small disk.
    const earlier = join(disk, "earlier");
    await mkdir(earlier);
    await writeFile(join(earlier, "cfg.json"), "keep");
    const saeOnDisk = join(disk, "sae");
    await cp(sae, saeOnDisk, { recursive: true });
    // A SAELens folder to import (an inner SAE exports as SAELens).
    const saeLens = join(dir(), "saelens");
    assert.equal(cosae("export", sae, "--out", saeLens).code, 0);
    await fillDisk(disk);
    const files = snapshot(disk);

    const cases: [string[], RegExp][] = [
      [
        ["export", sae, "--out", earlier, "--format", "cosae"],
        /--out: .*disk\/earlier cannot be written: no space left on the device \(ENOSPC\)/,
      ],
      [["import", saeLens, "--out", earlier], /--out: .*disk\/earlier cannot be written: no space left/],
      [
        ["serve", saeOnDisk, "--data", data, "--port", "0"],
        /the feature cache of .*disk\/sae \(--cacheDir keeps it elsewhere\): .*disk\/sae\/feature-cache\.data\.bin cannot be written: no space left on the device \(ENOSPC\)/,
      ],
      [
        ["eval", sae, "--data", data, "--evalTokens", "50", "--json", join(disk, "e.json")],
        /--json: .*disk\/e\.json cannot be written: no space left on the device \(ENOSPC\)/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = cosae(...args);
      const what = args.join(" ");
      assert.equal(r.code, 1, `${what}: ${r.stderr}`);
      assert.match(r.stderr, message, what);
      assert.deepEqual(snapshot(disk), files, `${what}: nothing left behind, nothing lost`);
    }
    assert.equal(readFileSync(join(earlier, "cfg.json"), "utf8"), "keep");
    assert.ok(existsSync(join(saeOnDisk, "sae_weights.safetensors")));
  } finally {
    spawnSync("umount", [disk]);
  }
});
