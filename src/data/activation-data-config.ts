/**
 * The `data.activations` record of a run spec: which activation dataset to
 * train on and how to stream it. Validated with the option-table machinery
 * (did-you-mean for unknown names); opening checks the dataset against what
 * run.json recorded, so a resumed run refuses data that changed under it.
 */
import { resolve } from "node:path";
import { type FieldTable, type FieldValues, validateFields } from "../config/fields.js";
import { ActivationDataset } from "./activation-dataset.js";
import { ActivationStreamSource } from "./activation-source.js";
import { heldOutStart } from "./held-out.js";

export const activationDataFields = {
  path: {
    kind: "string",
    default: null,
    help: "activation dataset: a .npy / .safetensors file [N, d] or a shard folder with manifest.json",
  },
  bufferMiB: {
    kind: "number",
    default: 256,
    min: 0,
    exclusiveMin: true,
    help: "memory for the shuffle buffer (two windows of rows, held as float32)",
  },
  chunkRows: { kind: "int", default: 8192, min: 1, help: "rows per shuffled chunk of the block shuffle" },
  nonFinite: {
    kind: "enum",
    values: ["error", "skip"],
    default: "error",
    help: "rows holding NaN/Inf: stop with the file and row, or skip them",
  },
  epochs: {
    kind: "number",
    default: null,
    min: 0,
    exclusiveMin: true,
    help: "passes over the data; sets steps to ⌈epochs·rows/batchSize⌉ (instead of --steps)",
  },
  holdOut: {
    kind: "int",
    default: 0,
    min: 0,
    help: "rows at the end kept out of training for evaluation (moved back to a sequence start)",
  },
  rows: {
    kind: "int",
    default: null,
    min: 1,
    help: "expected rows (recorded in run.json; resume checks them)",
  },
  d: { kind: "int", default: null, min: 1, help: "expected width (recorded in run.json; resume checks it)" },
} as const satisfies FieldTable;

/** A validated `data.activations` record (defaults in `activationDataFields`). */
export type ActivationDataConfig = FieldValues<typeof activationDataFields> & { path: string };

/** Validate a `data.activations` object; `where` prefixes every message (e.g. "run.json: data.activations"). */
export function validateActivationDataConfig(input: unknown, where: string): ActivationDataConfig {
  const config = validateFields(activationDataFields, input, where);
  const { path } = config;
  if (path === null) {
    throw new Error(`${where}: option "path" is required (an activation file or shard folder)`);
  }
  return { ...config, path };
}

/**
 * Open the dataset and its streaming source. Checks recorded `rows` / `d`
 * against the data; returns the config with the absolute path and the
 * observed rows and d filled in, for run.json.
 */
export async function openActivationData(
  config: ActivationDataConfig,
  seed: number,
): Promise<{ source: ActivationStreamSource; recorded: ActivationDataConfig }> {
  const dataset = await ActivationDataset.open(config.path, { nonFinite: config.nonFinite });
  for (const field of ["rows", "d"] as const) {
    const want = config[field];
    if (want !== null && want !== dataset[field]) {
      throw new Error(
        `${dataset.path}: has ${field} = ${dataset[field]}, but the run recorded data.activations.${field} = ${want}; ` +
          `the dataset changed since the run started`,
      );
    }
  }
  const source = new ActivationStreamSource(dataset, {
    seed,
    rows: await heldOutStart(dataset, config.holdOut),
    bufferMiB: config.bufferMiB,
    chunkRows: config.chunkRows,
  });
  return {
    source,
    recorded: { ...config, path: resolve(config.path), rows: dataset.rows, d: dataset.d },
  };
}
