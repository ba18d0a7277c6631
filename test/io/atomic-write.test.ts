import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import {
  AtomicWriteError,
  writeFileAtomic,
  writeFileAtomicSync,
  writeJsonAtomic,
  writeJsonAtomicSync,
} from "../../src/io/atomic-write.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const root = useTemporaryFolder("cosae-atomic-");
let counter = 0;

/** A fresh empty folder per test, so leftover temp files are attributable. */
function freshDir(): string {
  const dir = join(root(), `case-${counter++}`);
  mkdirSync(dir);
  return dir;
}

/** Chunks whose second element throws when read: a data source failing mid-write. */
function failingChunks(first: Uint8Array): Uint8Array[] {
  return new Proxy([first, first], {
    get(target, key, receiver) {
      if (key === "1") throw new Error("source exploded");
      return Reflect.get(target, key, receiver);
    },
  });
}

test("writes strings, bytes and chunk lists, replacing the old content", async () => {
  const dir = freshDir();
  const path = join(dir, "out.bin");
  await writeFileAtomic(path, "héllo");
  assert.equal(await readFile(path, "utf8"), "héllo");
  await writeFileAtomic(path, Uint8Array.of(1, 2, 3));
  assert.deepEqual([...(await readFile(path))], [1, 2, 3]);
  await writeFileAtomic(path, [Uint8Array.of(9), new Uint8Array(0), Uint8Array.of(8, 7)]);
  assert.deepEqual([...(await readFile(path))], [9, 8, 7]);
  writeFileAtomicSync(path, [Uint8Array.of(4), Uint8Array.of(5)]);
  assert.deepEqual([...readFileSync(path)], [4, 5]);
  assert.deepEqual(await readdir(dir), ["out.bin"]);
});

test("a data source failing mid-write keeps the old file and leaves no temp file", async () => {
  const dir = freshDir();
  const path = join(dir, "model.safetensors");
  writeFileSync(path, "old content");
  const big = new Uint8Array(1 << 20).fill(7);
  await assert.rejects(writeFileAtomic(path, failingChunks(big)), (err: unknown) => {
    assert.ok(err instanceof AtomicWriteError);
    assert.match(err.message, /model\.safetensors/);
    assert.match(err.message, /source exploded/);
    assert.equal(err.path, path);
    return true;
  });
  assert.equal(readFileSync(path, "utf8"), "old content");
  assert.deepEqual(readdirSync(dir), ["model.safetensors"]);
});

test("sync: a data source failing mid-write keeps the old file and leaves no temp file", () => {
  const dir = freshDir();
  const path = join(dir, "cfg.json");
  writeFileSync(path, "old content");
  assert.throws(
    () => writeFileAtomicSync(path, failingChunks(new Uint8Array(4096))),
    (err: unknown) =>
      err instanceof AtomicWriteError && /cfg\.json/.test(err.message) && /source exploded/.test(err.message),
  );
  assert.equal(readFileSync(path, "utf8"), "old content");
  assert.deepEqual(readdirSync(dir), ["cfg.json"]);
});

test("a failing rename (target is a non-empty folder) leaves the folder and no temp file", async () => {
  const dir = freshDir();
  const path = join(dir, "target");
  mkdirSync(path);
  writeFileSync(join(path, "keep"), "x");
  await assert.rejects(writeFileAtomic(path, "data"), (err: unknown) => {
    assert.ok(err instanceof AtomicWriteError);
    assert.ok(err.message.includes(path), err.message);
    assert.ok(err.code !== undefined, "the system error code is kept");
    return true;
  });
  assert.throws(() => writeFileAtomicSync(path, "data"), AtomicWriteError);
  assert.deepEqual(readdirSync(dir), ["target"]);
  assert.equal(readFileSync(join(path, "keep"), "utf8"), "x");
});

test("writing into a removed folder fails with ENOENT and the path", async () => {
  const dir = freshDir();
  await rm(dir, { recursive: true });
  const path = join(dir, "gone.json");
  await assert.rejects(writeFileAtomic(path, "x"), (err: unknown) => {
    assert.ok(err instanceof AtomicWriteError);
    assert.equal(err.code, "ENOENT");
    assert.ok(err.message.includes(path), err.message);
    return true;
  });
  assert.throws(() => writeJsonAtomicSync(path, { a: 1 }), /gone\.json/);
});

test("writeJsonAtomic pretty-prints with a trailing newline; unserialisable values keep the old file", async () => {
  const dir = freshDir();
  const path = join(dir, "cfg.json");
  await writeJsonAtomic(path, { a: 1, b: [1, 2], c: "x" });
  assert.equal(readFileSync(path, "utf8"), '{\n  "a": 1,\n  "b": [\n    1,\n    2\n  ],\n  "c": "x"\n}\n');
  writeJsonAtomicSync(path, [true]);
  assert.equal(readFileSync(path, "utf8"), "[\n  true\n]\n");
  const cyclic: { self?: unknown } = {};
  cyclic.self = cyclic;
  await assert.rejects(writeJsonAtomic(path, cyclic), /cfg\.json/);
  await assert.rejects(writeJsonAtomic(path, undefined), /cfg\.json: value has no JSON form/);
  assert.equal(readFileSync(path, "utf8"), "[\n  true\n]\n");
  assert.deepEqual(readdirSync(dir), ["cfg.json"]);
});

test("concurrent writers and a polling reader: the reader only ever sees a complete file", async () => {
  const dir = freshDir();
  const path = join(dir, "shared.bin");
  const size = 1 << 21;
  writeFileSync(path, new Uint8Array(size).fill(255));
  let writing = true;
  const reader = (async () => {
    let reads = 0;
    while (writing || reads === 0) {
      const bytes = await readFile(path);
      assert.equal(bytes.length, size, "a reader saw a partial file");
      const first = bytes[0]!;
      assert.ok(
        bytes.every((b) => b === first),
        "a reader saw a mix of two writes",
      );
      reads++;
    }
    return reads;
  })();
  const writers = Array.from({ length: 24 }, (_, i) => writeFileAtomic(path, new Uint8Array(size).fill(i)));
  await Promise.all(writers);
  writing = false;
  assert.ok((await reader) > 0);
  const final = await readFile(path);
  assert.ok(final[0]! < 24 && final.every((b) => b === final[0]));
  assert.deepEqual(await readdir(dir), ["shared.bin"]);
});
