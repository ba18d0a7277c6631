/**
 * Tokenizer files of each kind without a shipped vocabulary: a GPT-NeoX style
 * tokenizer.json (NFC, byte-level, added runs of spaces), tokenizer_config's
 * BOS, a missing merges.txt or tokenizer, and the vocabulary-size check.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { TokenizerLoader } from "@lenml/tokenizers";
import { HfTokenizer } from "../../src/transformer/hf-tokenizer.js";
import { SentencePieceTokenizer } from "../../src/transformer/sentencepiece-tokenizer.js";
import { checkVocab, findFolderTokenizer, readTokenizerFile } from "../../src/transformer/tokenizer-file.js";
import { tok512Bin } from "../helpers/stories260k.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const root = useTemporaryFolder("cosae-tokenizer-kinds-");

/** GPT-2's bytes_to_unicode, written out here as the tokenizers' Python source has it. */
function bytesToUnicode(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let next = 256;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(printable(b) ? b : next++));
}

/** A small tokenizer.json laid out as GPT-NeoX's (Pythia's): specials first, bytes, merges, added runs of spaces. */
function neoxStyleTokenizerJson(): object {
  const vocab: Record<string, number> = { "<|endoftext|>": 0, "<|padding|>": 1 };
  for (const ch of bytesToUnicode()) vocab[ch] = Object.keys(vocab).length;
  const merges = ["Ġ t", "h e", "Ġt he", "Ġ Ġ", "é é"];
  for (const m of merges) vocab[m.replace(" ", "")] = Object.keys(vocab).length;
  const size = Object.keys(vocab).length;
  const added = (id: number, content: string, special: boolean) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: !special,
    special,
  });
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: "1.0",
    added_tokens: [added(0, "<|endoftext|>", true), added(1, "<|padding|>", true), added(size, "   ", false)],
    normalizer: { type: "NFC" },
    pre_tokenizer: byteLevel,
    post_processor: byteLevel,
    decoder: byteLevel,
    model: { type: "BPE", dropout: null, unk_token: null, vocab, merges },
  };
}

test("a GPT-NeoX style tokenizer.json: NFC, byte-level, added runs of spaces, <|endoftext|> as BOS", () => {
  const json = neoxStyleTokenizerJson();
  const tok = new HfTokenizer(json, {}, "neox/tokenizer.json");
  assert.equal(tok.vocabSize, 2 + 256 + 5 + 1);
  assert.equal(tok.bosId, 0);
  assert.equal(tok.eosId, 0);
  const reference = TokenizerLoader.fromPreTrained({
    tokenizerJSON: structuredClone(json) as never,
    tokenizerConfig: {} as never,
  });
  for (const text of ["the   the", "e\u0301e\u0301 the<|endoftext|>x", "a    b\n\n  c", "", "😀 \u00e9"]) {
    const ids = tok.encode(text, { bos: false });
    assert.deepEqual(Array.from(ids), reference.encode(text, { add_special_tokens: false }), text);
    assert.equal(tok.decode(ids), text.normalize("NFC").replaceAll("<|endoftext|>", ""));
  }
  const spaces = tok.vocabSize - 1;
  assert.deepEqual(Array.from(tok.encode("the   the", { bos: false })).includes(spaces), true);
  assert.deepEqual(Array.from(tok.tokenBytes(spaces)), [0x20, 0x20, 0x20]);
  assert.deepEqual(Array.from(tok.encode("x")), [0, ...tok.encode("x", { bos: false })]);
});

test("tokenizer_config.json's bos_token, as a string or an AddedToken object, names the BOS; config.json's ids win", () => {
  const json = neoxStyleTokenizerJson();
  assert.equal(new HfTokenizer(json, { bos_token: "<|padding|>" }, "t").bosId, 1);
  assert.equal(new HfTokenizer(json, { bos_token: { content: "<|padding|>" } }, "t").bosId, 1);
  assert.equal(new HfTokenizer(json, { bos_token: "<|padding|>" }, "t", { bosId: 0 }).bosId, 0);
  assert.throws(
    () => new HfTokenizer(json, {}, "t.json", { bosId: 999 }),
    /t\.json: the model's bos_token_id 999 is not a token of this 264-token vocabulary/,
  );
});

test("a folder without tokenizer.json or vocab.json, and a vocab.json without merges.txt, are refused by name", async () => {
  const folder = root();
  const missing = await findFolderTokenizer(folder);
  assert.equal(missing, join(folder, "tokenizer.json"));
  await assert.rejects(
    readTokenizerFile(missing),
    /tokenizer\.json: no such file; expected the model's tokenizer\.json \(or GPT-2's vocab\.json and merges\.txt\)/,
  );
  await writeFile(join(folder, "vocab.json"), JSON.stringify({ a: 0 }));
  assert.equal(await findFolderTokenizer(folder), join(folder, "vocab.json"));
  await assert.rejects(
    readTokenizerFile(join(folder, "vocab.json")),
    /merges\.txt: no such file; expected the merges\.txt that goes with .*vocab\.json/,
  );
});

test("a tokenizer may be smaller than the model's vocab_size (padded embeddings), never larger", async () => {
  const tok = await SentencePieceTokenizer.read(tok512Bin);
  checkVocab(tok, 512, "model");
  checkVocab(tok, 50304, "model");
  assert.throws(
    () => checkVocab(tok, 500, "/models/tiny"),
    /tok512\.bin: 512 tokens, more than the vocab_size 500 of the model \/models\/tiny; expected the tokenizer/,
  );
});
