import { existsSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ActivationDataset } from "../data/activation-dataset.js";
import { loadSae } from "../io/load-sae.js";
import { knownLayouts, recognizeFolderAt, unrecognizedFolderMessage } from "../io/path-layout.js";
import { weightsFile } from "../io/sae-folder.js";
import { describeArchitecture } from "../model/describe-architecture.js";
import type { DecoderModel } from "../transformer/decoder.js";
import { describeDecoderConfig } from "../transformer/describe-config.js";
import { NotLlama2cCheckpointError } from "../transformer/llama2c-checkpoint.js";
import { loadTransformer } from "../transformer/load-model.js";
import { SentencePieceTokenizer } from "../transformer/sentencepiece-tokenizer.js";

export const inspectHelp = `cosae inspect PATH [--rows N]

Describes what PATH holds:
  a model (llama2.c .bin, Hugging Face model folder): its shape, tokenizer and every hook with its width;
  an activation dataset (shard folder, .npy, .safetensors): rows, d, dtype, shards, provenance,
    norm statistics over the first N rows (default 4096) and the first sequence with its tokens;
  an SAE folder (cfg.json + ${weightsFile}), cosae's or SAELens's: its configuration
    (a SAELens folder also as the cosae SAE it converts to, and what that folded in);
  a run folder (run.json + sae/): its SAE.
A path that is none of these is refused, naming the layout it most resembles and what it lacks.`;

export async function inspectCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { rows: { type: "string", default: "4096" } },
    allowPositionals: true,
    strict: true,
  });
  const sampleRows = Number(values.rows);
  if (!Number.isInteger(sampleRows) || sampleRows < 1)
    throw new Error(`--rows must be a positive integer, got ${values.rows}`);
  if (positionals.length !== 1) throw new Error(`inspect takes one PATH; see "cosae help inspect"`);
  const path = positionals[0]!;
  if (!existsSync(path))
    throw new Error(`${path}: no such file or folder; cosae inspect reads ${knownLayouts}`);
  const kind = await kindOf(path);
  const text =
    kind === "sae"
      ? await describeSae(path)
      : kind === "run"
        ? `run ${path} (run.json); its SAE:\n${await describeSae(join(path, "sae"))}`
        : kind === "model"
          ? await describeModel(path)
          : await describeDataset(path, sampleRows);
  process.stdout.write(`${text}\n`);
}

/** What PATH holds; a path that is none of the layouts cosae reads is refused here, naming what it resembles. */
async function kindOf(path: string): Promise<"sae" | "model" | "dataset" | "run"> {
  if (statSync(path).isDirectory()) {
    const found = await recognizeFolderAt(path);
    if (found.kind === "dataset" || found.kind === "sae" || found.kind === "run") return found.kind;
    if (found.kind === "hf-model") return "model";
    throw new Error(unrecognizedFolderMessage(path, found));
  }
  const name = basename(path);
  const folder = dirname(resolve(path));
  // Files that belong to a folder layout: the folder is what cosae reads.
  if (name === weightsFile || name.endsWith(".json") || /^model(-\d+-of-\d+)?\.safetensors$/.test(name)) {
    throw new Error(
      `${path} is one file of a folder layout; inspect the folder that holds it (${folder}) — cosae reads ${knownLayouts}`,
    );
  }
  return name.endsWith(".npy") || name.endsWith(".safetensors") ? "dataset" : "model";
}

async function describeModel(path: string): Promise<string> {
  let model: DecoderModel;
  try {
    model = await loadTransformer(path);
  } catch (err) {
    // A file that is not a checkpoint may be any other kind: list what inspect reads.
    if (!(err instanceof NotLlama2cCheckpointError)) throw err;
    const tokenizer = await SentencePieceTokenizer.read(path).catch(() => null);
    if (tokenizer !== null) {
      throw new Error(
        `${path} is a llama2.c tokenizer (${tokenizer.vocabSize} tokens), not a model; inspect the model it belongs to`,
      );
    }
    throw new Error(`${err.message}; cosae inspect reads ${knownLayouts}`);
  }
  const lines = [
    `model ${path} (${model.format}, family ${model.config.family})`,
    ...describeDecoderConfig(model.config).map((line) => `  ${line}`),
    `  tokenizer: ${model.tokenizer?.description ?? "none"}`,
    "",
  ];
  const nameWidth = Math.max(...model.hooks.map((h) => h.name.length));
  for (const h of model.hooks)
    lines.push(`  ${h.name.padEnd(nameWidth)}  ${String(h.width).padStart(5)}  ${h.description}`);
  return lines.join("\n");
}

async function describeDataset(path: string, sampleRows: number): Promise<string> {
  const dataset = await ActivationDataset.open(path);
  const m = dataset.manifest;
  const lines = [`activations ${dataset.describe()}`];
  if (m) {
    lines.push(
      `  model ${m.model ?? "?"}${m.tokenizer ? ` (tokenizer ${m.tokenizer})` : ""}, hook ${m.hook ?? "?"}, source ${m.source ?? "?"}, context ${m.contextLength ?? "?"}, by ${m.createdBy ?? "?"}`,
    );
    lines.push(`  ${m.shards.length} shards: ${m.shards.map((s) => s.rows).join(", ")} rows`);
  }
  const n = Math.min(sampleRows, dataset.rows);
  if (n > 0) {
    const x = await dataset.readRows(0, n);
    const norms = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      let s = 0;
      for (let c = 0; c < dataset.d; c++) s += x[t * dataset.d + c]! ** 2;
      norms[t] = Math.sqrt(s);
    }
    const sorted = norms.slice().sort();
    const q = (p: number) => sorted[Math.min(n - 1, Math.floor(p * n))]!.toPrecision(4);
    const mean = norms.reduce((a, b) => a + b, 0) / n;
    lines.push(
      `  ‖x‖ over the first ${n} rows: mean ${mean.toPrecision(4)}, min ${q(0)}, median ${q(0.5)}, p99 ${q(0.99)}, max ${q(1)}`,
    );
  }
  if (dataset.hasTokens && n > 0) {
    const tokens = await dataset.readTokens(0, Math.min(n, 512));
    const vocab = await dataset.vocab();
    const first = tokens.sequence[0]!;
    const pieces: string[] = [];
    for (let i = 0; i < tokens.ids.length && tokens.sequence[i] === first; i++) {
      const id = tokens.ids[i]!;
      pieces.push(vocab?.[id] ?? `#${id}`);
    }
    lines.push(`  sequence ${first} (${pieces.length} rows): ${JSON.stringify(pieces.join("|"))}`);
  }
  return lines.join("\n");
}

async function describeSae(path: string): Promise<string> {
  const { sae, architecture, folded, fileConfig } = await loadSae(path);
  const lines = [
    architecture === "cosae"
      ? `SAE ${path}`
      : `SAE ${path} (SAELens ${architecture.slice("saelens:".length)})`,
    `  ${describeArchitecture(sae.config)}`,
  ];
  const theta = sae.constants.thresholds;
  if (theta) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const t of theta) [lo, hi] = [Math.min(lo, t), Math.max(hi, t)];
    lines.push(
      `  θ per latent in [${lo.toPrecision(6)}, ${hi.toPrecision(6)}], s ${sae.constants.scale.toPrecision(6)}, ν ${sae.constants.nu.toPrecision(6)}`,
    );
  } else {
    lines.push(
      `  τ ${sae.constants.threshold.toPrecision(6)}, s ${sae.constants.scale.toPrecision(6)}, ν ${sae.constants.nu.toPrecision(6)}`,
    );
  }
  if (folded.length > 0) lines.push(`  folded into the weights: ${folded.join("; ")}`);
  lines.push(`  ${JSON.stringify(fileConfig)}`);
  return lines.join("\n");
}
