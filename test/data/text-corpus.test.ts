import assert from "node:assert/strict";
import { truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readDocuments, splitDocuments, tokenSequences } from "../../src/data/text-corpus.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const folder = useTemporaryFolder("cosae-corpus-");

test("documents split at separator lines, trimmed, empty ones dropped", () => {
  const text =
    "One day.\nThe end.\n<|endoftext|>\n\n<|endoftext|>\n  Two.  \r\n<|endoftext|>\nThree <|endoftext|> inline";
  assert.deepEqual(splitDocuments(text), ["One day.\nThe end.", "Two.", "Three <|endoftext|> inline"]);
});

test("the shared TinyStories corpus has its stories", () => {
  const docs = readDocuments("../shared/corpus/tinystories-2MiB.txt");
  assert.ok(docs.length > 2000, `${docs.length} documents`);
  assert.ok(docs.every((d) => !d.includes("<|endoftext|>\n")));
});

test("invalid UTF-8 is an error naming the file and the byte offset", () => {
  const path = join(folder(), "bad.txt");
  writeFileSync(
    path,
    Buffer.concat([Buffer.from("fine text "), Buffer.from([0xc3, 0x28]), Buffer.from(" more")]),
  );
  assert.throws(
    () => readDocuments(path),
    /the text corpus: .*bad\.txt is not valid UTF-8 \(first invalid byte at offset 10\)/,
  );
  assert.throws(
    () => readDocuments(join(folder(), "missing.txt")),
    /the text corpus: .*missing\.txt does not exist \(ENOENT\)/,
  );
});

test("a corpus over 2 GiB is refused naming the file", () => {
  const path = join(folder(), "huge.txt");
  writeFileSync(path, "");
  truncateSync(path, 2 ** 31 + 1); // sparse: no disk is used
  assert.throws(
    () => readDocuments(path, undefined, "--text"),
    /--text: .*huge\.txt is larger than the 2 GiB one read can hold; split it/,
  );
});

test("long documents become BOS-led pieces of at most contextLength tokens, indexed in order", () => {
  const encode = (text: string) => Int32Array.from([1, ...Array.from(text, (c) => c.charCodeAt(0))]);
  const seqs = [...tokenSequences(["abcdefg", "xy"], encode, 1, 4)];
  assert.deepEqual(
    seqs.map((s) => [s.index, [...s.ids]]),
    [
      [0, [1, 97, 98, 99]],
      [1, [1, 100, 101, 102]],
      [2, [1, 103]],
      [3, [1, 120, 121]],
    ],
  );
  assert.throws(() => [...tokenSequences(["a"], encode, 1, 1)], /contextLength must be an integer ≥ 2/);
});
