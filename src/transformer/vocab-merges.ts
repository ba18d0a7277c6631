/**
 * GPT-2's original tokenizer files, `vocab.json` + `merges.txt` (what
 * transformers' slow GPT2Tokenizer reads), as the tokenizer.json that
 * transformers' converter writes from them: byte-level BPE with GPT-2's
 * pre-tokenizer regex, and `<|endoftext|>` (or the special tokens that
 * tokenizer_config.json lists) as special added tokens.
 */
import { ModelFormatError } from "./model-format-error.js";

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** The merges of merges.txt: one "left right" pair a line after the optional "#version" line. */
export function parseMergesTxt(text: string, source: string): string[] {
  const lines = text.split("\n").map((l) => l.replace(/\r$/, ""));
  const merges: string[] = [];
  lines.forEach((line, i) => {
    if ((i === 0 && line.startsWith("#version")) || line.length === 0) return;
    if (line.split(" ").length !== 2) {
      throw new ModelFormatError(
        `${source}: line ${i + 1} is ${JSON.stringify(line)}; expected two tokens separated by one space`,
      );
    }
    merges.push(line);
  });
  return merges;
}

/**
 * tokenizer.json equivalent to `vocab` (parsed vocab.json) and `merges`.
 * `config` is tokenizer_config.json or {}: its added_tokens_decoder, when
 * present, names the added tokens; otherwise `<|endoftext|>` is the one.
 */
export function tokenizerJsonFromVocabMerges(
  vocab: unknown,
  merges: string[],
  config: unknown,
  source: string,
): object {
  if (!isRecord(vocab)) throw new ModelFormatError(`${source}: expected a JSON object {token: id}`);
  const declared =
    isRecord(config) && isRecord(config["added_tokens_decoder"]) ? config["added_tokens_decoder"] : undefined;
  const addedTokens: object[] = [];
  const add = (id: number, content: string, special: boolean) =>
    addedTokens.push({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: !special,
      special,
    });
  if (declared !== undefined) {
    for (const [id, t] of Object.entries(declared)) {
      if (isRecord(t) && typeof t["content"] === "string")
        add(Number(id), t["content"], t["special"] === true);
    }
  } else if (typeof vocab["<|endoftext|>"] === "number") {
    add(vocab["<|endoftext|>"], "<|endoftext|>", true);
  }
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: "1.0",
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}
