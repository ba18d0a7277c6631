/** Gemma's real vocabulary (Gemma 3's tokenizer.json: BPE, byte fallback, "▁") against @lenml/tokenizers. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { adversarialText, assertSameAsLenml, corpusPieces } from "../helpers/real-vocabularies.js";

test("Gemma's tokenizer.json encodes the corpus and the adversarial strings as @lenml/tokenizers does", async () => {
  const { tok, corpusIds, probeIds } = await assertSameAsLenml("gemma3", "Hello");
  // Lossless: byte fallback covers every character.
  assert.equal(tok.decode(corpusIds.flat()), corpusPieces().join(""));
  for (const text of adversarialText) assert.equal(tok.decode(tok.encode(text, { bos: false })), text);
  // BOS is <bos>, prepended once although the post-processor would add it too.
  assert.equal(tok.bosId, 2);
  assert.deepEqual(Array.from(tok.encode("Hello")), [2, ...probeIds]);
  assert.deepEqual(Array.from(tok.encode("<bos>x")).slice(0, 2), [2, 2]);
  // Byte-fallback tokens stand for their byte: <0xE2> is one byte of a three-byte character.
  const byteE2 = Array.from({ length: 1000 }, (_, id) => id).filter((id) => tok.tokenString(id) === "<0xE2>");
  assert.equal(byteE2.length, 1);
  assert.deepEqual(Array.from(tok.tokenBytes(byteE2[0]!)), [0xe2]);
  const the = tok.encode(" the", { bos: false });
  assert.equal(the.length, 1);
  assert.equal(tok.tokenString(the[0]!), " the");
  assert.deepEqual(Array.from(tok.tokenBytes(the[0]!)), [0x20, 0x74, 0x68, 0x65]);
  assert.equal(tok.tokenString(2), "<bos>");
});
