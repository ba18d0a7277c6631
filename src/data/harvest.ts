/**
 * Harvesting: run a transformer over a text corpus and write the activations
 * of one or more hooks as shard folders with their tokens (one folder per
 * hook). Sequences are numbered in corpus order, so a killed harvest resumes
 * by regenerating them and skipping those its shards already hold.
 */
import type { Kernels } from "../kernels/kernels.js";
import type { LlamaModel } from "../transformer/llama.js";
import type { Tokenizer } from "../transformer/tokenizer.js";
import type { TokenRows } from "./activation-file.js";
import type { ActivationDType, ActivationFileFormat } from "./activation-manifest.js";
import { ActivationShardWriter } from "./activation-shard-writer.js";
import { readDocuments, type TokenSequence, tokenSequences } from "./text-corpus.js";

export interface HarvestOptions {
  model: LlamaModel;
  /** model path, recorded in the manifests */
  modelPath: string;
  /** UTF-8 corpus, documents separated by `<|endoftext|>` lines */
  text: string;
  /** hook name → output folder */
  outputs: ReadonlyArray<{ hook: string; folder: string }>;
  contextLength: number;
  /** tokens per forward batch (whole sequences; at least one) */
  batchTokens: number;
  /** stop once this many rows are written (whole sequences); null: the whole corpus */
  maxRows: number | null;
  /** drop the BOS position: its activation is the same constant in every sequence */
  skipBos: boolean;
  shardRows: number;
  dtype: ActivationDType;
  fileFormat: ActivationFileFormat;
  resume: boolean;
  kernels: Kernels;
  onProgress?(progress: HarvestProgress): void;
}

/** How far a harvest has come, reported as documents are done. */
export interface HarvestProgress {
  documentsDone: number;
  documents: number;
  /** rows harvested by this invocation */
  rows: number;
  /** with those of earlier (resumed) invocations */
  totalRows: number;
  tokensPerSecond: number;
}

/** What a harvest wrote, and how fast the model ran. */
export interface HarvestResult {
  /** rows per output, in `outputs` order */
  rows: number[];
  shards: number[];
  /** model tokens run by this invocation (BOS included), and their rate */
  tokens: number;
  seconds: number;
  tokensPerSecond: number;
}

export async function harvest(options: HarvestOptions): Promise<HarvestResult> {
  const { model, outputs } = options;
  const tokenizer = requireTokenizer(model);
  const widths = outputs.map(({ hook }) => {
    const info = model.hooks.find((h) => h.name === hook);
    if (info === undefined)
      throw new Error(`${model.source}: no hook "${hook}"; "cosae inspect ${model.source}" lists them`);
    return info.width;
  });
  if (options.contextLength > model.config.maxSeqLen) {
    throw new Error(
      `contextLength ${options.contextLength} exceeds the model's maximum of ${model.config.maxSeqLen}`,
    );
  }
  const vocab = Array.from({ length: tokenizer.vocabSize }, (_, id) => tokenizer.tokenString(id));
  const writers = await Promise.all(
    outputs.map(({ hook, folder }, i) =>
      ActivationShardWriter.open(folder, {
        d: widths[i]!,
        dtype: options.dtype,
        fileFormat: options.fileFormat,
        shardRows: options.shardRows,
        resume: options.resume,
        vocab,
        model: options.modelPath,
        hook,
        source: options.text,
        contextLength: options.contextLength,
        createdBy: `cosae harvest (bos ${options.skipBos ? "excluded" : "included"})`,
      }),
    ),
  );
  // Resume from the writer that is furthest behind; the others skip what they hold.
  const firstSequence = Math.min(...writers.map((w) => w.next.sequence));
  const rowsBefore = Math.min(...writers.map((w) => w.next.rows));
  // The deepest hook requested: the forward pass stops there.
  const order = new Map(model.hooks.map((h, i) => [h.name, i]));
  const stopAfter = outputs.map((o) => o.hook).sort((a, b) => order.get(b)! - order.get(a)!)[0]!;

  const documents = readDocuments(options.text);
  let documentsDone = 0;
  const encode = (text: string) => tokenizer.encode(text, { bos: true });
  const sequences = tokenSequences(
    (function* () {
      for (const doc of documents) {
        yield doc;
        documentsDone++;
      }
    })(),
    encode,
    tokenizer.bosId,
    options.contextLength,
  );

  const start = performance.now();
  let tokens = 0;
  let rows = 0;
  let batch: TokenSequence[] = [];
  let batchTokens = 0;
  let batchRows = 0;
  const first = options.skipBos ? 1 : 0;

  const runBatch = async () => {
    const captured = new Map<string, Float32Array>();
    const hooks = Object.fromEntries(
      outputs.map(({ hook }) => [hook, (value: Float32Array) => void captured.set(hook, value)]),
    );
    await model.forward(
      batch.map((s) => s.ids),
      { kernels: options.kernels, hooks, logits: false, stopAfter },
    );
    for (const [i, { hook }] of outputs.entries()) {
      const writer = writers[i]!;
      const keep = batch.filter((s) => s.index >= writer.next.sequence);
      const picked = pickRows(captured.get(hook)!, widths[i]!, batch, keep, first);
      if (picked.tokens.ids.length > 0) await writer.append(picked.x, picked.tokens);
    }
    rows += batchRows;
    tokens += batchTokens;
    batch = [];
    batchTokens = 0;
    batchRows = 0;
    const seconds = (performance.now() - start) / 1000;
    options.onProgress?.({
      documentsDone,
      documents: documents.length,
      rows,
      totalRows: rowsBefore + rows,
      tokensPerSecond: tokens / Math.max(seconds, 1e-9),
    });
  };

  // The run stops after the first sequence that brings the rows to maxRows, wherever the batches
  // were cut, so a resumed harvest ends exactly where an uninterrupted one would.
  const enough = () => options.maxRows !== null && rowsBefore + rows + batchRows >= options.maxRows;
  for (const seq of sequences) {
    if (seq.index < firstSequence) continue;
    if (enough()) break;
    if (batchTokens > 0 && batchTokens + seq.ids.length > options.batchTokens) await runBatch();
    batch.push(seq);
    batchTokens += seq.ids.length;
    batchRows += Math.max(seq.ids.length - first, 0);
  }
  if (batch.length > 0) await runBatch();
  const manifests = await Promise.all(writers.map((w) => w.finish()));
  const seconds = (performance.now() - start) / 1000;
  return {
    rows: manifests.map((m) => m.rows),
    shards: manifests.map((m) => m.shards.length),
    tokens,
    seconds,
    tokensPerSecond: tokens / Math.max(seconds, 1e-9),
  };
}

function requireTokenizer(model: LlamaModel): Tokenizer {
  if (model.tokenizer === undefined)
    throw new Error(`${model.source}: harvesting text needs the model's tokenizer`);
  return model.tokenizer;
}

/** The rows of `keep` (a subset of `batch`, in order) from a packed hook value, with their token columns. */
function pickRows(
  value: Float32Array,
  width: number,
  batch: readonly TokenSequence[],
  keep: readonly TokenSequence[],
  /** 1 to drop each sequence's BOS position */
  first: number,
): { x: Float32Array; tokens: TokenRows } {
  const count = keep.reduce((n, s) => n + Math.max(s.ids.length - first, 0), 0);
  const x = new Float32Array(count * width);
  const ids = new Int32Array(count);
  const sequence = new Int32Array(count);
  const position = new Int32Array(count);
  const keepSet = new Set(keep);
  let packedRow = 0;
  let out = 0;
  for (const s of batch) {
    if (keepSet.has(s)) {
      for (let t = first; t < s.ids.length; t++, out++) {
        x.set(value.subarray((packedRow + t) * width, (packedRow + t + 1) * width), out * width);
        ids[out] = s.ids[t]!;
        sequence[out] = s.index;
        position[out] = t;
      }
    }
    packedRow += s.ids.length;
  }
  return { x, tokens: { ids, sequence, position } };
}
