/** Llama 3's real vocabulary against llama3-tokenizer-js, on the whole shared corpus and the adversarial strings. */
import assert from "node:assert/strict";
import { test } from "node:test";
import llama3Tokenizer from "llama3-tokenizer-js";
import {
  adversarialSpecial,
  adversarialText,
  assertSameIds,
  corpusPieces,
  countIds,
  shippedTokenizer,
} from "../helpers/real-vocabularies.js";

test("Llama 3's tokenizer.json encodes the corpus and the adversarial strings as llama3-tokenizer-js does", () => {
  const tok = shippedTokenizer("llama3");
  assert.equal(tok.vocabSize, 128256);
  const ours = (t: string) => tok.encode(t, { bos: false });
  const reference = (t: string) => llama3Tokenizer.encode(t, { bos: false, eos: false });
  const corpus = corpusPieces();
  const corpusIds = assertSameIds("llama3 corpus", corpus, ours, reference);
  assert.ok(countIds(corpusIds) > 400_000, `${countIds(corpusIds)} tokens`);
  assertSameIds("llama3 adversarial", [...adversarialText, ...adversarialSpecial], ours, reference);
  // Lossless: the corpus and every adversarial text come back from their ids.
  assert.equal(tok.decode(corpusIds.flat()), corpus.join(""));
  for (const text of adversarialText) assert.equal(tok.decode(ours(text)), text);
  // BOS is <|begin_of_text|>, prepended once (the post-processor's own BOS is never added).
  assert.equal(tok.bosId, 128000);
  assert.equal(tok.eosId, 128001);
  assert.deepEqual(Array.from(tok.encode("Hello world")), [128000, ...reference("Hello world")]);
  assert.equal(tok.tokenString(128000), "<|begin_of_text|>");
  assert.equal(tok.tokenString(tok.encode(" world", { bos: false })[0]!), " world");
});
