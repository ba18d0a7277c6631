/**
 * Harvesting: run a transformer over a text corpus and write the activations
 * of one or more hooks as shard folders with their tokens (one folder per
 * hook). Sequences are numbered in corpus order, so a killed harvest resumes
 * by regenerating them and skipping those its shards already hold.
 */
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Kernels } from "../kernels/kernels.js";
import type { DecoderModel } from "../transformer/decoder.js";
import type { Tokenizer } from "../transformer/tokenizer.js";
import { checkAllocation } from "../util/memory-budget.js";
import { firstNonFiniteIndex } from "../util/non-finite.js";
import type { TokenRows } from "./activation-file.js";
import {
  type ActivationDType,
  type ActivationFileFormat,
  MANIFEST_FILE,
  readActivationManifest,
} from "./activation-manifest.js";
import { ActivationShardWriter } from "./activation-shard-writer.js";
import { checkHarvestOutput } from "./harvest-output-folder.js";
import {
  defaultDocumentSeparator,
  readDocuments,
  type TokenSequence,
  tokenSequences,
} from "./text-corpus.js";

export interface HarvestOptions {
  model: DecoderModel;
  /** model path, recorded (resolved) in the manifests */
  modelPath: string;
  /** the tokenizer file when given apart from the model (recorded resolved), else null */
  tokenizerPath?: string | null;
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
  if (outputs.length === 0) {
    throw new Error(`--hook names no hook; "cosae inspect ${model.source}" lists the model's hooks`);
  }
  const known = new Set(model.hooks.map((h) => h.name));
  for (const { hook } of outputs) {
    if (!known.has(hook)) {
      throw new Error(
        `--hook "${hook}" is not a hook of ${model.source}; it has ${known.size} hooks, e.g. ` +
          `blocks.0.hook_resid_pre, blocks.0.mlp.hook_post, ln_final.hook_normalized ` +
          `("cosae inspect ${model.source}" lists them all)`,
      );
    }
  }
  const widths = outputs.map(({ hook }) => model.hooks.find((h) => h.name === hook)!.width);
  if (options.contextLength > model.config.maxSeqLen) {
    throw new Error(
      `--contextLength ${options.contextLength} exceeds the model's maximum of ${model.config.maxSeqLen} ` +
        `(${model.source}); pass at most ${model.config.maxSeqLen}`,
    );
  }
  // Everything that can be refused is checked before a folder is made or a file written.
  for (const { folder } of outputs) await checkHarvestOutput(folder, options.resume);
  const documents = readDocuments(options.text, defaultDocumentSeparator, "--text");
  if (documents.length === 0) {
    throw new Error(
      `--text ${options.text} holds no documents (it is empty, or only whitespace and ${defaultDocumentSeparator} ` +
        "lines), so the harvest would write an empty dataset; pass a corpus with text",
    );
  }
  checkHarvestMemory(options, widths, statSync(options.text).size, documents.length);
  // Recorded resolved, so that eval finds the model from any folder.
  const recorded = {
    model: resolve(options.modelPath),
    tokenizer: options.tokenizerPath ? resolve(options.tokenizerPath) : null,
    source: resolve(options.text),
  };
  const createdBy = `cosae harvest (bos ${options.skipBos ? "excluded" : "included"})`;
  const vocab = Array.from({ length: tokenizer.vocabSize }, (_, id) => tokenizer.tokenString(id));
  const writers: ActivationShardWriter[] = [];
  for (const [i, { hook, folder }] of outputs.entries()) {
    const resumed = options.resume
      ? await resumedProvenance(folder, options, hook, recorded, createdBy)
      : null;
    writers.push(
      await ActivationShardWriter.open(folder, {
        d: widths[i]!,
        dtype: options.dtype,
        fileFormat: options.fileFormat,
        shardRows: options.shardRows,
        resume: options.resume,
        vocab,
        ...(resumed ?? recorded),
        hook,
        contextLength: options.contextLength,
        createdBy,
      }),
    );
  }
  // Resume from the writer that is furthest behind; the others skip what they hold.
  const firstSequence = Math.min(...writers.map((w) => w.next.sequence));
  const rowsBefore = Math.min(...writers.map((w) => w.next.rows));
  // The deepest hook requested: the forward pass stops there.
  const order = new Map(model.hooks.map((h, i) => [h.name, i]));
  const stopAfter = outputs.map((o) => o.hook).sort((a, b) => order.get(b)! - order.get(a)!)[0]!;

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
    // Every hook's rows are checked before any is appended: no shard may hold a non-finite value.
    const picks = outputs.map(({ hook, folder }, i) => {
      const keep = batch.filter((s) => s.index >= writers[i]!.next.sequence);
      const picked = pickRows(captured.get(hook)!, widths[i]!, batch, keep, first);
      refuseNonFiniteRows(picked, widths[i]!, hook, folder, model.source, tokenizer);
      return picked;
    });
    for (const [i, picked] of picks.entries()) {
      if (picked.tokens.ids.length > 0) await writers[i]!.append(picked.x, picked.tokens);
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

/**
 * A NaN or Inf activation (finite weights can still overflow) stops the
 * harvest before its rows reach a shard, naming where it arose.
 */
function refuseNonFiniteRows(
  picked: { x: Float32Array; tokens: TokenRows },
  width: number,
  hook: string,
  folder: string,
  source: string,
  tokenizer: Tokenizer,
): void {
  const at = firstNonFiniteIndex(picked.x);
  if (at < 0) return;
  const row = Math.floor(at / width);
  const id = picked.tokens.ids[row]!;
  throw new Error(
    `--hook ${hook}: the model ${source} gives ${picked.x[at]} at sequence ${picked.tokens.sequence[row]}, ` +
      `position ${picked.tokens.position[row]} (token ${id} ${JSON.stringify(tokenizer.tokenString(id))}), ` +
      `component ${at % width}; expected finite activations, so the harvest stops here and no shard holds ` +
      `that row (${folder} keeps only its complete shards) — check the model's weights`,
  );
}

/**
 * A forward batch holds per token the residual, the attention and MLP
 * intermediates and the captured hooks; the shard buffer holds up to
 * --shardRows rows and one batch more, grown by doubling. Neither can exceed
 * the corpus's tokens: at most one per byte, plus a prefix per document and
 * a BOS per sequence.
 */
function checkHarvestMemory(
  options: HarvestOptions,
  widths: readonly number[],
  corpusBytes: number,
  documents: number,
): void {
  const { dim, mlpDim, heads, kvHeads, headSize } = options.model.config;
  const qkvWidth = (heads + 2 * kvHeads) * headSize;
  const body = corpusBytes + documents;
  const corpusTokens = Math.ceil(body + body / (options.contextLength - 1) + documents);
  const batch = Math.min(Math.max(options.batchTokens, options.contextLength), corpusTokens);
  const hookWidths = widths.reduce((a, b) => a + b, 0);
  checkAllocation({
    what: `a forward batch of ${batch} tokens`,
    largestArray: batch * Math.max(2 * mlpDim, qkvWidth),
    totalBytes: 4 * batch * (12 * dim + 2 * qkvWidth + 4 * mlpDim + 2 * hookWidths),
    options: "--batchTokens",
  });
  const rows = Math.min(options.shardRows + batch, corpusTokens);
  checkAllocation({
    what: `the buffer of a ${options.shardRows}-row shard`,
    largestArray: 2 * rows * Math.max(...widths),
    totalBytes: 4 * 3 * rows * hookWidths,
    options: "--shardRows",
  });
}

/**
 * The provenance to continue with when resuming `folder`: the manifest's own
 * strings, once they are checked to name the same model, tokenizer, corpus and
 * settings (an older manifest may hold paths relative to where it ran).
 */
async function resumedProvenance(
  folder: string,
  options: HarvestOptions,
  hook: string,
  recorded: { model: string; tokenizer: string | null; source: string },
  createdBy: string,
): Promise<{ model: string | null; tokenizer: string | null; source: string | null } | null> {
  if (!existsSync(join(folder, MANIFEST_FILE))) return null;
  const m = await readActivationManifest(folder);
  const same = (a: string | null, b: string | null) =>
    a === null ? b === null : b !== null && resolve(a) === b;
  const bosOf = (by: string | null) => /bos (exclud|includ)ed/.exec(by ?? "")?.[1]?.concat("e") ?? null;
  if (bosOf(m.createdBy) === null) {
    throw new Error(
      `--resume: ${join(folder, MANIFEST_FILE)} was written by ${m.createdBy ?? "an unnamed producer"}, not by ` +
        "cosae harvest; pass another --out for a new dataset",
    );
  }
  const checks: [boolean, string, unknown, unknown][] = [
    [same(m.model, recorded.model), "--model", m.model, recorded.model],
    [
      same(m.tokenizer, recorded.tokenizer),
      "--tokenizer",
      m.tokenizer ?? "(the one beside the model)",
      recorded.tokenizer ?? "(the one beside the model)",
    ],
    [same(m.source, recorded.source), "--text", m.source, recorded.source],
    [m.hook === hook, "--hook", m.hook, hook],
    [m.contextLength === options.contextLength, "--contextLength", m.contextLength, options.contextLength],
    [m.createdBy === createdBy, "--bos", bosOf(m.createdBy), bosOf(createdBy)],
    [m.dtype === options.dtype, "--dtype", m.dtype, options.dtype],
    [m.fileFormat === options.fileFormat, "--fileFormat", m.fileFormat, options.fileFormat],
  ];
  for (const [ok, option, was, now] of checks) {
    if (!ok) {
      throw new Error(
        `--resume: ${join(folder, MANIFEST_FILE)} was harvested with ${option} ${was}, not ${now}; pass ` +
          `${option} ${was} to continue it, or another --out for a new dataset`,
      );
    }
  }
  return { model: m.model, tokenizer: m.tokenizer, source: m.source };
}

function requireTokenizer(model: DecoderModel): Tokenizer {
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
