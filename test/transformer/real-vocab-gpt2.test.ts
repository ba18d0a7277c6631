/**
 * GPT-2's real vocabulary (its tokenizer.json, and the same vocabulary as
 * vocab.json + merges.txt) against gpt-tokenizer's r50k_base, GPT-2's
 * encoding, on the whole shared corpus and the adversarial strings.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { encode as r50kEncode } from "gpt-tokenizer/encoding/r50k_base";
import { findFolderTokenizer, readTokenizerFile } from "../../src/transformer/tokenizer-file.js";
import {
  adversarialSpecial,
  adversarialText,
  assertSameIds,
  corpusPieces,
  countIds,
  lenmlModelsFolder,
  readJson,
  shippedTokenizer,
} from "../helpers/real-vocabularies.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const root = useTemporaryFolder("cosae-gpt2-vocab-");
const ENDOFTEXT = 50256;

/**
 * gpt-tokenizer 4.0.0 ignores allowedSpecial and spells "<|endoftext|>" out
 * as text, so the reference cuts the text at it as Hugging Face does.
 */
function reference(text: string): number[] {
  return text
    .split("<|endoftext|>")
    .flatMap((part, i) => (i === 0 ? r50kEncode(part) : [ENDOFTEXT, ...r50kEncode(part)]));
}

test("GPT-2's tokenizer.json encodes the corpus and the adversarial strings as gpt-tokenizer's r50k_base does", () => {
  const tok = shippedTokenizer("gpt2");
  assert.equal(tok.vocabSize, 50257);
  const ours = (t: string) => tok.encode(t, { bos: false });
  const corpusIds = assertSameIds("gpt2 corpus", corpusPieces(), ours, reference);
  assert.ok(countIds(corpusIds) > 400_000, `${countIds(corpusIds)} tokens`);
  assertSameIds("gpt2 adversarial", [...adversarialText, ...adversarialSpecial], ours, reference);
  for (const text of adversarialText) assert.equal(tok.decode(ours(text)), text);
  // No BOS in GPT-2's post-processor: like TransformerLens, <|endoftext|> starts a sequence, once.
  assert.equal(tok.bosId, ENDOFTEXT);
  assert.deepEqual(Array.from(tok.encode("Hello world")), [ENDOFTEXT, 15496, 995]);
  assert.deepEqual(Array.from(tok.encode("")), [ENDOFTEXT]);
  assert.deepEqual(Array.from(tok.tokenBytes(995)), [0x20, 0x77, 0x6f, 0x72, 0x6c, 0x64]); // "Ġworld"
  assert.equal(tok.tokenString(995), " world");
  // Ids 0-255 are the 256 single bytes, in bytes_to_unicode's order; a lone non-ASCII byte shows as <0xXX>.
  const bytes = Array.from({ length: 256 }, (_, id) => Array.from(tok.tokenBytes(id)));
  assert.ok(bytes.every((b) => b.length === 1));
  assert.deepEqual(
    bytes.map((b) => b[0]!).sort((a, b) => a - b),
    Array.from({ length: 256 }, (_, b) => b),
  );
  assert.equal(tok.tokenString(bytes.findIndex((b) => b[0] === 0xc3)), "<0xC3>");
  assert.equal(tok.tokenString(ENDOFTEXT), "<|endoftext|>");
  assert.deepEqual(Array.from(tok.tokenBytes(ENDOFTEXT)), []);
  assert.equal(tok.decode(tok.encode("a<|endoftext|>b")), "ab");
});

test("GPT-2's vocab.json + merges.txt, found in a folder without tokenizer.json, encode as its tokenizer.json does", async () => {
  const json = readJson(join(lenmlModelsFolder("gpt2"), "tokenizer.json")) as {
    model: { vocab: Record<string, number>; merges: string[] };
  };
  const folder = root();
  await writeFile(join(folder, "vocab.json"), JSON.stringify(json.model.vocab));
  await writeFile(join(folder, "merges.txt"), `#version: 0.2\n${json.model.merges.join("\n")}\n`);
  const path = await findFolderTokenizer(folder);
  assert.equal(path, join(folder, "vocab.json"));
  const tok = await readTokenizerFile(path, {});
  assert.equal(tok.description, `GPT-2 vocab.json + merges.txt ${path}`);
  assert.equal(tok.vocabSize, 50257);
  assert.equal(tok.bosId, ENDOFTEXT);
  const ours = (t: string) => tok.encode(t, { bos: false });
  // A fifth of the corpus: the whole of it is checked through tokenizer.json above.
  assertSameIds("gpt2 vocab.json corpus", corpusPieces().slice(0, 300), ours, reference);
  assertSameIds("gpt2 vocab.json adversarial", [...adversarialText, ...adversarialSpecial], ours, reference);
  await writeFile(join(folder, "merges.txt"), "#version: 0.2\nĠ t h\n");
  await assert.rejects(
    readTokenizerFile(path, {}),
    /merges\.txt: line 2 is "Ġ t h"; expected two tokens separated by one space/,
  );
});
