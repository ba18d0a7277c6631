/**
 * The model behind the promoted/suppressed tokens: the `--model` given, else
 * the one the dataset's manifest names if that file is here. Its unembedding
 * only reads a decoder direction that lives in the residual stream, so a
 * dataset whose hook is not a residual-stream hook gets none.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { ActivationDataset } from "../data/activation-dataset.js";
import { findRecordedModel } from "../data/recorded-model.js";
import { loadTransformer } from "../transformer/load-model.js";
import type { Tokenizer } from "../transformer/tokenizer.js";
import type { Unembedding } from "./decoder-logits.js";

/** The model file or folder to read (absolute), or null when there is none to use. */
export function cacheModelPath(
  dataset: ActivationDataset,
  modelPath: string | null | undefined,
): string | null {
  if (modelPath !== undefined && modelPath !== null && !existsSync(modelPath)) {
    throw new Error(`${modelPath}: model not found; expected a llama2.c .bin file or a Hugging Face folder`);
  }
  const hook = dataset.manifest?.hook ?? null;
  if (hook === null || !hook.includes("resid")) return null;
  if (modelPath !== undefined && modelPath !== null) return resolve(modelPath);
  const recorded = findRecordedModel(dataset.manifest, dataset.path);
  return recorded.found ? recorded.model : null;
}

/**
 * The logit lens of the model at `path` (its final norm's gain, unembedding
 * and final soft-cap), or null when its width is not d (then the SAE was not
 * trained on this model's residual stream).
 * The tokenizer is read only when `withTokenizer` (the dataset has no vocabulary), if there is one.
 */
export async function loadUnembedding(
  path: string,
  d: number,
  withTokenizer: boolean,
): Promise<{ unembedding: Unembedding; tokenizer: Tokenizer | undefined } | null> {
  // Without a tokenizer beside the model, promoted tokens show as "#id".
  const model = withTokenizer
    ? await loadTransformer(path).catch(() => loadTransformer(path, { tokenizer: false }))
    : await loadTransformer(path, { tokenizer: false });
  if (model.config.dim !== d) return null;
  return {
    unembedding: {
      vocab: model.config.vocabSize,
      logits: (directions, rows, kernels) => model.unembedDirections(directions, rows, kernels),
    },
    tokenizer: model.tokenizer,
  };
}
