/** Qwen's real vocabulary (Qwen 3's tokenizer.json, Qwen 2.5's plus four tokens) against @lenml/tokenizers. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { HfTokenizer } from "../../src/transformer/hf-tokenizer.js";
import { adversarialText, assertSameAsLenml, readJson } from "../helpers/real-vocabularies.js";

test("Qwen's tokenizer.json encodes the corpus and the adversarial strings as @lenml/tokenizers does", async () => {
  const { tok, probeIds, folder } = await assertSameAsLenml("qwen3", "Hi");
  assert.equal(tok.vocabSize, 151669);
  // Lossless up to the NFC normalizer.
  for (const text of adversarialText)
    assert.equal(tok.decode(tok.encode(text, { bos: false })), text.normalize("NFC"));
  // Qwen's tokenizer has no BOS (bos_token null): <|endoftext|>, config.json's bos_token_id, starts a sequence.
  assert.equal(tok.bosId, 151643);
  assert.equal(tok.tokenString(151643), "<|endoftext|>");
  assert.deepEqual(Array.from(tok.encode("Hi")), [151643, ...probeIds]);
  const withIds = new HfTokenizer(readJson(join(folder, "tokenizer.json")), {}, "qwen", {
    bosId: 151643,
    eosId: 151645,
  });
  assert.equal(withIds.bosId, 151643);
  assert.equal(withIds.eosId, 151645);
});
