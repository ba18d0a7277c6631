/**
 * `loadTransformer(path)`: one entry point for every model format cosae reads.
 * - a llama2.c checkpoint file (`stories15M.bin`), with its tokenizer found
 *   beside it (`tokenizer.bin` or `tok*.bin` with the model's vocabulary size)
 *   or given as `options.tokenizer`;
 * - a Hugging Face folder of a family families/registry.ts lists (config.json,
 *   model.safetensors or shards with model.safetensors.index.json, tokenizer.json
 *   or vocab.json + merges.txt).
 */
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { recognizeFolderAt } from "../io/path-layout.js";
import { DecoderModel } from "./decoder.js";
import { readHfFolder } from "./hf-folder.js";
import { readLlama2cCheckpoint } from "./llama2c-checkpoint.js";
import { ModelFormatError } from "./model-format-error.js";
import { SentencePieceTokenizer } from "./sentencepiece-tokenizer.js";
import type { Tokenizer } from "./tokenizer.js";
import { checkVocab, findFolderTokenizer, readTokenizerFile } from "./tokenizer-file.js";

export interface LoadOptions {
  /**
   * The tokenizer file: a llama2.c `tokenizer.bin`, an HF `tokenizer.json` or GPT-2's `vocab.json`.
   * Default: found beside the model. `false` loads the model without one.
   */
  readonly tokenizer?: string | false;
}

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

export async function loadTransformer(path: string, options: LoadOptions = {}): Promise<DecoderModel> {
  const info = await statOrUndefined(path);
  if (info === undefined) throw new ModelFormatError(`${path}: no such file or folder`);
  if (info.isDirectory()) {
    if ((await statOrUndefined(join(path, "config.json"))) === undefined) {
      const found = await recognizeFolderAt(path);
      const looks = found.empty
        ? " (it is empty)"
        : found.kind !== null
          ? ` (it holds ${found.kind === "dataset" ? "an activation dataset" : found.kind === "sae" ? "an SAE" : "a cosae run"}, not a model)`
          : found.resemblance === null
            ? ""
            : ` (it most resembles ${found.resemblance})`;
      throw new ModelFormatError(
        `${path}: folder has no config.json; expected a Hugging Face model folder (config.json, ` +
          `model.safetensors or model.safetensors.index.json, tokenizer.json) or a llama2.c .bin file${looks}`,
      );
    }
    const folder = await readHfFolder(path);
    let tokenizer: Tokenizer | undefined;
    if (options.tokenizer !== false) {
      tokenizer = await readTokenizerFile(options.tokenizer ?? (await findFolderTokenizer(path)), {
        bosId: folder.bosId,
        eosId: folder.eosId,
      });
      checkVocab(tokenizer, folder.config.vocabSize, path);
    }
    return new DecoderModel(folder.config, folder.weights, {
      source: path,
      format: `hf-${folder.family.modelType}`,
      ...(tokenizer === undefined ? {} : { tokenizer }),
    });
  }
  const name = basename(path);
  if (name.endsWith(".safetensors") || name === "config.json") {
    throw new ModelFormatError(
      `${path}: a lone ${name} is not a model; pass the Hugging Face folder that holds it (${dirname(path)})`,
    );
  }
  const checkpoint = await readLlama2cCheckpoint(path);
  let tokenizer: Tokenizer | undefined;
  if (options.tokenizer !== false) {
    const tokenizerPath =
      options.tokenizer ?? (await findLlama2cTokenizer(path, checkpoint.config.vocabSize));
    tokenizer = await readTokenizerFile(tokenizerPath, {});
    checkVocab(tokenizer, checkpoint.config.vocabSize, path);
  }
  return new DecoderModel(checkpoint.config, checkpoint.weights, {
    source: path,
    format: checkpoint.format,
    ...(tokenizer === undefined ? {} : { tokenizer }),
  });
}

/**
 * The llama2.c tokenizer beside a checkpoint: `tokenizer.bin` or `tok*.bin`
 * whose token count matches the model's vocabulary (the files do not record
 * it, so each candidate is read).
 */
async function findLlama2cTokenizer(modelPath: string, vocabSize: number): Promise<string> {
  const folder = dirname(modelPath);
  const candidates = (await readdir(folder))
    .filter((f) => f.endsWith(".bin") && (f === "tokenizer.bin" || f.startsWith("tok")))
    .filter((f) => join(folder, f) !== modelPath)
    .sort();
  const sizes: string[] = [];
  for (const f of candidates) {
    try {
      const t = await SentencePieceTokenizer.read(join(folder, f));
      if (t.vocabSize === vocabSize) return join(folder, f);
      sizes.push(`${f} has ${t.vocabSize} tokens`);
    } catch (err) {
      sizes.push(`${f}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new ModelFormatError(
    `${modelPath}: no tokenizer with ${vocabSize} tokens beside it in ${folder}` +
      (sizes.length > 0 ? ` (${sizes.join("; ")})` : "") +
      "; expected tokenizer.bin or tok*.bin there, or pass options.tokenizer",
  );
}
