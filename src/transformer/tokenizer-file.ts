/**
 * Tokenizer files by kind: a Hugging Face `tokenizer.json` (with the
 * `tokenizer_config.json` beside it, when there is one), GPT-2's
 * `vocab.json` + `merges.txt`, or a llama2.c `tokenizer.bin`; and the check
 * that a tokenizer fits the model it is used with.
 */
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { withPathContext } from "../util/system-error.js";
import { HfTokenizer, type TokenizerIds } from "./hf-tokenizer.js";
import { ModelFormatError } from "./model-format-error.js";
import { SentencePieceTokenizer } from "./sentencepiece-tokenizer.js";
import type { Tokenizer } from "./tokenizer.js";
import { parseMergesTxt, tokenizerJsonFromVocabMerges } from "./vocab-merges.js";

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readText(path: string, expected: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new ModelFormatError(`${path}: no such file; expected ${expected}`);
    }
    throw err;
  }
}

async function readJson(path: string, expected: string): Promise<unknown> {
  const text = await readText(path, expected);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ModelFormatError(
      `${path}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** tokenizer_config.json beside `path`, or {} when there is none. */
async function readTokenizerConfig(path: string): Promise<unknown> {
  const configPath = join(dirname(path), "tokenizer_config.json");
  return (await exists(configPath)) ? readJson(configPath, "tokenizer_config.json") : {};
}

/**
 * The tokenizer file of a Hugging Face folder: tokenizer.json, else GPT-2's
 * vocab.json (read with the merges.txt beside it). When neither is there,
 * the tokenizer.json path, which reading then reports missing.
 */
export async function findFolderTokenizer(folder: string): Promise<string> {
  const json = join(folder, "tokenizer.json");
  if (await exists(json)) return json;
  const vocab = join(folder, "vocab.json");
  return (await exists(vocab)) ? vocab : json;
}

/**
 * A tokenizer file by its kind: `vocab.json` is GPT-2's vocabulary (with
 * merges.txt beside it), another `.json` is a Hugging Face tokenizer.json,
 * anything else a llama2.c tokenizer.
 */
export async function readTokenizerFile(path: string, ids: TokenizerIds = {}): Promise<Tokenizer> {
  if (path.endsWith(".model")) {
    throw new ModelFormatError(
      `${path}: unsupported tokenizer: SentencePiece .model (protobuf) files are not read; expected a ` +
        "Hugging Face tokenizer.json or a llama2.c tokenizer.bin (export it with llama2.c's tokenizer.py)",
    );
  }
  if ((await stat(path).catch(() => undefined))?.isDirectory()) {
    throw new ModelFormatError(
      `the tokenizer: ${path} is a folder, not a file; pass the tokenizer file itself ` +
        "(a llama2.c tokenizer.bin, a Hugging Face tokenizer.json or GPT-2's vocab.json)",
    );
  }
  return withPathContext<Tokenizer>("the tokenizer", path, async () => {
    if (basename(path) === "vocab.json") return readVocabMerges(path, ids);
    if (path.endsWith(".json")) {
      const json = await readJson(path, "the model's tokenizer.json (or GPT-2's vocab.json and merges.txt)");
      return new HfTokenizer(json, await readTokenizerConfig(path), path, ids);
    }
    return SentencePieceTokenizer.read(path);
  });
}

async function readVocabMerges(vocabPath: string, ids: TokenizerIds): Promise<Tokenizer> {
  const mergesPath = join(dirname(vocabPath), "merges.txt");
  const vocab = await readJson(vocabPath, "GPT-2's vocab.json");
  const merges = parseMergesTxt(
    await readText(mergesPath, `the merges.txt that goes with ${vocabPath}`),
    mergesPath,
  );
  const config = await readTokenizerConfig(vocabPath);
  const json = tokenizerJsonFromVocabMerges(vocab, merges, config, vocabPath);
  return new HfTokenizer(json, config, vocabPath, ids, "GPT-2 vocab.json + merges.txt");
}

/**
 * A tokenizer may have fewer tokens than the model's embedding (Pythia pads
 * 50,277 to 50,304, Qwen 151,665 to 151,936), never more.
 */
export function checkVocab(tokenizer: Tokenizer, vocabSize: number, modelPath: string): void {
  if (tokenizer.vocabSize > vocabSize) {
    throw new ModelFormatError(
      `${tokenizer.description}: ${tokenizer.vocabSize} tokens, more than the vocab_size ${vocabSize} of the ` +
        `model ${modelPath}; expected the tokenizer the model was trained with`,
    );
  }
}
