/**
 * Transformer models with hooks for library users: load a decoder-only model
 * (llama2.c checkpoint or Hugging Face folder), run it with functions at
 * TransformerLens-named hook points that read or replace activations, harvest
 * activations to shard folders, and splice an SAE's reconstruction in.
 */
import { validateFields } from "../config/fields.js";
import type { ActivationDType, ActivationFileFormat } from "../data/activation-manifest.js";
import { type HarvestProgress, type HarvestResult, harvest } from "../data/harvest.js";
import { harvestFields, harvestSettings } from "../data/harvest-config.js";
import { reconstruct } from "../model/forward.js";
import type { Sae } from "../model/sae.js";
import { DecoderModel } from "../transformer/decoder.js";
import type { DecoderConfig } from "../transformer/decoder-config.js";
import type { HookDescription, HookFunction, Hooks } from "../transformer/hooks.js";
import { loadTransformer } from "../transformer/load-model.js";
import { nextTokenLoss } from "../transformer/next-token-loss.js";
import type { Tokenizer } from "../transformer/tokenizer.js";
import { type KernelSet, withKernels } from "./kernels.js";

export type { HarvestProgress, HarvestResult } from "../data/harvest.js";
export type {
  DecoderConfig,
  Llama3RopeScaling,
  NormConfig,
  RopeStyle,
  RotaryConfig,
} from "../transformer/decoder-config.js";
export type { HookDescription, HookFunction, HookInfo, Hooks } from "../transformer/hooks.js";
export type { Tokenizer } from "../transformer/tokenizer.js";

/** A loaded transformer, from {@link loadModel}: its shape, hook points and tokenizer. */
export interface TransformerModel {
  /** the model's shape (family, width, layers, heads, vocabulary, norms, positions …) */
  readonly config: DecoderConfig;
  /** every hook point in forward order, with its width */
  readonly hooks: readonly HookDescription[];
  /** the tokenizer found beside the model or given, if any */
  readonly tokenizer: Tokenizer | undefined;
  /** the path it was loaded from */
  readonly source: string;
  /** the file format, e.g. "llama2c-v1", or "hf-" and the config.json model_type ("hf-gpt2", "hf-llama", …) */
  readonly format: string;
}

/**
 * Loads a model: a llama2.c checkpoint file (tokenizer.bin beside it, or
 * `tokenizer`), or a Hugging Face folder of gpt2, gpt_neox, llama, qwen2 or gemma2 (config.json, safetensors,
 * tokenizer.json). `tokenizer: false` loads it without one.
 */
export async function loadModel(
  path: string,
  options: { tokenizer?: string | false } = {},
): Promise<TransformerModel> {
  return loadTransformer(path, options);
}

function decoder(model: TransformerModel, what: string): DecoderModel {
  if (!(model instanceof DecoderModel)) throw new Error(`${what}: expected a model from loadModel()`);
  return model;
}

/** Options of {@link runModel}. */
export interface RunModelOptions {
  /** functions by hook name, called with each activation; one may return an array to replace it downstream */
  hooks?: Hooks;
  /** compute the logits [rows, vocab] (default true) */
  logits?: boolean;
  /** the kernels to run on (default: the fastest here, opened for this call) */
  kernels?: KernelSet;
}

/**
 * Runs token sequences (each its own causal context) through the model,
 * packed into rows = Σ lengths; hooks see every activation they name and may
 * replace it. Returns the logits [rows, vocab] unless `logits` is false.
 */
export async function runModel(
  model: TransformerModel,
  sequences: readonly Int32Array[],
  options: RunModelOptions = {},
): Promise<{ logits?: Float32Array }> {
  const m = decoder(model, "runModel");
  return withKernels(options.kernels, (kernels) =>
    m.forward(sequences, { kernels, hooks: options.hooks ?? {}, logits: options.logits ?? true }),
  );
}

/**
 * Mean next-token loss (nats) of the sequences, with `hooks` applied (e.g.
 * {@link saeSpliceHook} to measure the loss with an SAE spliced in).
 */
export async function meanNextTokenLoss(
  model: TransformerModel,
  sequences: readonly Int32Array[],
  options: { hooks?: Hooks; kernels?: KernelSet } = {},
): Promise<number> {
  const m = decoder(model, "meanNextTokenLoss");
  return withKernels(options.kernels, async (kernels) => {
    const r = await nextTokenLoss(
      m,
      sequences,
      options.hooks ? { kernels, hooks: options.hooks } : { kernels },
    );
    return r.sumLoss / r.tokens;
  });
}

/**
 * A hook function that replaces the activation with the SAE's reconstruction
 * (every row, BOS included). Put it in `hooks` under the hook the SAE was
 * trained on; the kernels must stay open while the model runs.
 */
export function saeSpliceHook(sae: Sae, kernels: KernelSet): HookFunction {
  return (value, info) =>
    withKernels(kernels, async (k) => {
      if (info.width !== sae.config.d)
        throw new Error(
          `saeSpliceHook: hook "${info.name}" has width ${info.width} but the SAE has d = ${sae.config.d}`,
        );
      const { reconstruction } = await reconstruct(sae, value, info.rows, k);
      return Float32Array.from(reconstruction);
    });
}

/** Options of {@link harvestActivations}, with `cosae harvest`'s defaults. */
export interface HarvestActivationsOptions {
  /** the model, from {@link loadModel} */
  model: TransformerModel;
  /** UTF-8 corpus file, documents separated by `<|endoftext|>` lines */
  text: string;
  /** hook name → output shard folder */
  outputs: ReadonlyArray<{ hook: string; folder: string }>;
  /** tokens per sequence; longer documents are cut, each piece led by BOS (default 256) */
  contextLength?: number;
  /** tokens per forward batch (default 8192) */
  batchTokens?: number;
  /** stop after this many rows, whole sequences (default: the whole corpus) */
  maxRows?: number;
  /** keep the BOS position's row (default false: its activation is the same in every sequence) */
  includeBos?: boolean;
  /** rows per shard (default 65536) */
  shardRows?: number;
  /** stored dtype (default "f32") */
  dtype?: ActivationDType;
  /** shard file format (default "safetensors") */
  fileFormat?: ActivationFileFormat;
  /** continue a harvest that was stopped (default false) */
  resume?: boolean;
  /** called as documents are done */
  onProgress?: (progress: HarvestProgress) => void;
  /** the kernels to run on (default: the fastest here, opened for this call) */
  kernels?: KernelSet;
}

/**
 * `cosae harvest` as a function: runs the model over the corpus once and
 * writes each hook's activations, with their tokens, as a shard folder that
 * {@link openActivations} and `cosae train --data` read.
 */
export async function harvestActivations(options: HarvestActivationsOptions): Promise<HarvestResult> {
  const model = decoder(options.model, "harvestActivations");
  // The same option checks as `cosae harvest` (names, ranges, enums), before anything is written.
  const asked: Record<string, unknown> = {
    contextLength: options.contextLength,
    batchTokens: options.batchTokens,
    maxTokens: options.maxRows,
    bos: options.includeBos === undefined ? undefined : options.includeBos ? "include" : "exclude",
    shardRows: options.shardRows,
    dtype: options.dtype,
    fileFormat: options.fileFormat,
    resume: options.resume,
  };
  for (const key of Object.keys(asked)) if (asked[key] === undefined) delete asked[key];
  const o = validateFields(harvestFields, asked, "harvestActivations options");
  return withKernels(options.kernels, (kernels) =>
    harvest({
      model,
      modelPath: model.source,
      text: options.text,
      outputs: options.outputs,
      ...harvestSettings(o),
      kernels,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    }),
  );
}

export type { ActivationDType, ActivationFileFormat } from "../data/activation-manifest.js";
