import type { FieldTable } from "../config/fields.js";
import { kernelsHelp, kernelsKinds } from "../kernels/choose-kernels.js";
import type { ActivationDType, ActivationFileFormat } from "./activation-manifest.js";
import type { HarvestOptions } from "./harvest.js";

/** Every harvest option, its default and its meaning; `cosae harvest`'s flags and the library's harvestActivations both come from this table. */
export const harvestFields = {
  model: {
    kind: "string",
    default: null,
    help: "llama2.c .bin (tokenizer beside it) or Hugging Face model folder",
  },
  tokenizer: { kind: "string", default: null, help: "tokenizer file, when not beside the model" },
  text: { kind: "string", default: null, help: "UTF-8 corpus, documents separated by <|endoftext|> lines" },
  hook: {
    kind: "string",
    default: null,
    help: "hook name, or several separated by commas (cosae inspect MODEL lists them)",
  },
  out: {
    kind: "string",
    default: null,
    help: "a new or empty output folder (one subfolder per hook when there are several)",
  },
  contextLength: {
    kind: "int",
    default: 256,
    min: 2,
    help: "tokens per sequence; longer documents are cut, each piece led by BOS",
  },
  batchTokens: { kind: "int", default: 8192, min: 1, help: "tokens per forward batch" },
  maxTokens: {
    kind: "int",
    default: null,
    min: 1,
    help: "stop after this many rows (whole sequences) [default: whole corpus]",
  },
  bos: {
    kind: "enum",
    default: "exclude",
    values: ["exclude", "include"],
    help: "keep the BOS position's row",
  },
  shardRows: { kind: "int", default: 65536, min: 1, help: "rows per shard (cut at a sequence boundary)" },
  dtype: { kind: "enum", default: "f32", values: ["f32", "f16", "bf16"], help: "stored dtype" },
  fileFormat: {
    kind: "enum",
    default: "safetensors",
    values: ["safetensors", "npy"],
    help: "shard file format",
  },
  resume: {
    kind: "bool",
    default: false,
    help: "continue a killed harvest in --out after its last complete shard (same model, corpus and settings)",
  },
  threads: { kind: "int", default: 0, min: 0, help: "compute threads (0: every core)" },
  kernels: { kind: "enum", default: "auto", values: kernelsKinds, help: kernelsHelp },
} satisfies FieldTable;

/** The part of harvest()'s options that the table's settings fix (not the model, corpus, outputs or kernels). */
export function harvestSettings(
  /** the harvestFields options as validateFields returns them */
  o: Record<string, unknown>,
): Pick<
  HarvestOptions,
  "contextLength" | "batchTokens" | "maxRows" | "skipBos" | "shardRows" | "dtype" | "fileFormat" | "resume"
> {
  return {
    contextLength: Number(o.contextLength),
    batchTokens: Number(o.batchTokens),
    maxRows: o.maxTokens === null ? null : Number(o.maxTokens),
    skipBos: o.bos === "exclude",
    shardRows: Number(o.shardRows),
    dtype: o.dtype as ActivationDType,
    fileFormat: o.fileFormat as ActivationFileFormat,
    resume: Boolean(o.resume),
  };
}
