import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { SentencePieceTokenizer } from "../../src/transformer/sentencepiece-tokenizer.js";
import { corpusPath, tok512Bin } from "../helpers/stories260k.js";

test("the llama2.c tokenizer: byte fallback, display strings and decoding", async () => {
  const tok = await SentencePieceTokenizer.read(tok512Bin);
  assert.equal(tok.vocabSize, 512);
  assert.equal(tok.bosId, 1);
  assert.equal(tok.eosId, 2);
  assert.deepEqual(Array.from(tok.encode("")), [1]);
  assert.deepEqual(Array.from(tok.encode("", { bos: false })), []);
  // "☃" is not in the 512-token vocabulary: its three UTF-8 bytes become <0xE2> <0x98> <0x83>.
  const ids = tok.encode("☃", { bos: false });
  assert.deepEqual(Array.from(ids).slice(-3), [0xe2 + 3, 0x98 + 3, 0x83 + 3]);
  assert.equal(tok.decode(ids), " ☃");
  assert.equal(tok.tokenString(0xe2 + 3), "<0xE2>");
  assert.equal(tok.tokenString(0x0a + 3), "\n");
  assert.equal(tok.tokenString(1), "<s>");
  assert.equal(tok.tokenString(259), " t");
  assert.throws(() => tok.tokenString(512), RangeError);
});

test("tokenizing the 2 MiB corpus takes seconds at most", async () => {
  const tok = await SentencePieceTokenizer.read(tok512Bin);
  const text = readFileSync(corpusPath, "utf8");
  const start = performance.now();
  const ids = tok.encode(text);
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `# tok512: ${text.length} chars → ${ids.length} tokens in ${seconds.toFixed(2)} s, as one sequence`,
  );
  assert.equal(tok.decode(ids), ` ${text}`);
});
