/**
 * Builds the feature cache of one SAE over one activation dataset (what
 * `cosae serve` shows): encode the dataset's last `tokens` rows once, measure
 * (DESIGN §4), transpose the codes to per-latent lists, then stream one
 * LatentRecord per latent to the cache file, so memory stays bounded by the
 * codes, not by m records. Stored floats are rounded to 4 significant digits.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { buildConceptBank } from "../concepts/concept-bank.js";
import { ActivationDataset } from "../data/activation-dataset.js";
import type { TokenRows } from "../data/activation-file.js";
import { heldOutStart } from "../data/held-out.js";
import {
  defaultEvalOptions,
  type EvalDetails,
  type EvalSet,
  encodeInChunks,
  measureEncoded,
} from "../evaluation/evaluate.js";
import { loadSae } from "../io/load-sae.js";
import type { SparseRows } from "../kernels/arrays.js";
import type { Kernels } from "../kernels/kernels.js";
import { alphaOf } from "../kernels/score-family.js";
import type { Sae } from "../model/sae.js";
import { checkAllocation } from "../util/memory-budget.js";
import { buildLatentRecord } from "./build-latent-record.js";
import { cacheModelPath, loadUnembedding } from "./cache-model.js";
import { cacheStamp, sameStamp } from "./cache-stamp.js";
import { type DecoderLogits, decoderLogits } from "./decoder-logits.js";
import { type FeatureCacheHeader, readFeatureCacheHeader, writeFeatureCache } from "./feature-cache-file.js";
import { type FeatureCacheOptions, resolveFeatureCacheOptions } from "./feature-cache-options.js";
import type { FeatureData } from "./feature-data.js";
import { latentLists } from "./latent-lists.js";
import type { LatentRecord, SaeOverview } from "./latent-record.js";
import { latentTable } from "./latent-table.js";
import { roundSignificant } from "./round-significant.js";

export { defaultFeatureCacheOptions, type FeatureCacheOptions } from "./feature-cache-options.js";

export interface BuildFeatureCacheArgs {
  /** the SAE folder */
  saePath: string;
  /** the activation dataset (a shard folder with token ids, or a file with a tokens table) */
  dataPath: string;
  /** the cache file to write */
  out: string;
  /** the model for promoted tokens; default: the dataset manifest's model, if that file is here */
  modelPath?: string | null;
  options?: Partial<FeatureCacheOptions>;
  kernels: Kernels;
  /** called as each phase advances: "read", "encode", "concepts", "unembedding", "records" */
  progress?: (phase: string, done: number, total: number) => void;
}

/** Best concepts kept per latent for its record. */
const CONCEPTS_PER_LATENT = 5;
/** Records between progress calls. */
const RECORDS_PER_REPORT = 64;

export async function buildFeatureCache(args: BuildFeatureCacheArgs): Promise<FeatureCacheHeader> {
  const options = resolveFeatureCacheOptions(args.options);
  const progress = args.progress ?? (() => {});
  const dataset = await openDataset(args.dataPath);
  const modelPath = cacheModelPath(dataset, args.modelPath);
  const stamp = await cacheStamp(args.saePath, dataset, modelPath, options);
  const { sae, architecture } = await loadSae(args.saePath);
  const { d, m } = sae.config;
  if (dataset.d !== d) {
    throw new Error(
      `${args.dataPath}: rows have d = ${dataset.d} but the SAE ${args.saePath} has d = ${d}; ` +
        "expected activations of the hook the SAE was trained on",
    );
  }

  const firstRow = await cacheFirstRow(dataset, options.tokens);
  const rows = dataset.rows - firstRow;
  // Moved back to a sequence start, the rows may be more than asked (all of them when one sequence spans the tail).
  checkAllocation({
    what: `the feature cache over rows [${firstRow}, ${dataset.rows}) of ${args.dataPath} (d = ${d})`,
    largestArray: rows * d,
    totalBytes: 3 * rows * d * 4,
    options: "--tokens",
  });
  const tokens = await dataset.readTokens(firstRow, rows);
  const vocab = await dataset.vocab();
  const encoded = await encodeAndMeasure(
    sae,
    dataset,
    { firstRow, tokens, vocab },
    options,
    args.kernels,
    progress,
  );
  const { details, codes, conceptNames } = encoded;

  let logits: DecoderLogits | null = null;
  let tokenizer: { tokenString(id: number): string } | undefined;
  if (modelPath !== null) {
    const model = await loadUnembedding(modelPath, d, vocab === null);
    if (model) {
      tokenizer = model.tokenizer;
      const report = (done: number, total: number) => progress("unembedding", done, total);
      report(0, m);
      const { decoder } = sae.params;
      const { scale } = sae.constants;
      logits = await decoderLogits(
        decoder,
        m,
        d,
        scale,
        model.unembedding,
        options.promoted,
        args.kernels,
        report,
      );
    }
  }

  const alpha = new Float64Array(m);
  for (let j = 0; j < m; j++) alpha[j] = alphaOf(sae.config.score, sae.params.alpha, j);
  const data: FeatureData = {
    codes,
    tokens,
    firstRow,
    lists: latentLists(codes, m),
    norms: details.norms,
    alpha,
    normAuroc: details.normAuroc,
    isNormDetector: details.isNormDetector,
    concepts:
      details.alignment && conceptNames ? { names: conceptNames, alignment: details.alignment } : null,
    logits,
    tokenString: (id) => vocab?.[id] ?? tokenizer?.tokenString(id) ?? `#${id}`,
  };
  const overview = saeOverview(args.saePath, architecture, sae, dataset, firstRow, rows, details, data);

  function* records(): Generator<LatentRecord> {
    progress("records", 0, m);
    for (let j = 0; j < m; j++) {
      yield buildLatentRecord(data, j, options);
      if ((j + 1) % RECORDS_PER_REPORT === 0 || j + 1 === m) progress("records", j + 1, m);
    }
  }
  await mkdir(dirname(resolve(args.out)), { recursive: true });
  await writeFeatureCache(args.out, { stamp, overview, table: latentTable(data), vocab }, records());
  return readFeatureCacheHeader(args.out);
}

/** Builds unless `out` exists with the same stamp (or rebuild); returns whether it built. */
export async function ensureFeatureCache(
  args: BuildFeatureCacheArgs & { rebuild?: boolean },
): Promise<{ built: boolean; header: FeatureCacheHeader }> {
  if (!args.rebuild && existsSync(args.out)) {
    const options = resolveFeatureCacheOptions(args.options);
    const dataset = await openDataset(args.dataPath);
    const wanted = await cacheStamp(args.saePath, dataset, cacheModelPath(dataset, args.modelPath), options);
    try {
      const header = await readFeatureCacheHeader(args.out);
      if (sameStamp(header.stamp, wanted)) return { built: false, header };
    } catch {
      // Unreadable or truncated: rebuilt below.
    }
  }
  return { built: true, header: await buildFeatureCache(args) };
}

/**
 * `<sae>/feature-cache.<data folder or file name>.bin`: beside the SAE it
 * describes, one per dataset. With `cacheDir` (for SAE folders that cannot be
 * written), `<cacheDir>/feature-cache.<sae name>-<hash of its path>.<data name>.bin`.
 */
export function defaultCachePath(saePath: string, dataPath: string, cacheDir?: string): string {
  const safe = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, "_");
  const data = safe(basename(resolve(dataPath)));
  if (cacheDir === undefined) return join(saePath, `feature-cache.${data}.bin`);
  const sae = resolve(saePath);
  const hash = createHash("sha256").update(sae).digest("hex").slice(0, 8);
  return join(cacheDir, `feature-cache.${safe(basename(sae))}-${hash}.${data}.bin`);
}

async function openDataset(path: string): Promise<ActivationDataset> {
  const dataset = await ActivationDataset.open(path);
  if (!dataset.hasTokens) {
    throw new Error(
      `${path}: the activations have no token ids; the browser needs token ids: harvest with cosae harvest`,
    );
  }
  if (dataset.rows === 0) throw new Error(`${path}: the dataset has no rows`);
  return dataset;
}

/** First row of the last `tokens` rows moved back to a sequence start; 0 when that takes every row. */
async function cacheFirstRow(dataset: ActivationDataset, tokens: number): Promise<number> {
  if (tokens >= dataset.rows) return 0;
  try {
    return await heldOutStart(dataset, tokens);
  } catch (e) {
    // heldOutStart refuses a tail inside the first sequence (nothing left to train on); here that is all rows.
    if (e instanceof RangeError) return 0;
    throw e;
  }
}

/**
 * Reads and encodes the rows, then measures; only the codes, norms and
 * per-latent measures leave, so the rows and reconstructions can be freed.
 */
async function encodeAndMeasure(
  sae: Sae,
  dataset: ActivationDataset,
  part: { firstRow: number; tokens: TokenRows; vocab: string[] | null },
  options: FeatureCacheOptions,
  kernels: Kernels,
  progress: (phase: string, done: number, total: number) => void,
): Promise<{ details: EvalDetails; codes: SparseRows; conceptNames: string[] | null }> {
  const { firstRow, tokens, vocab } = part;
  const rows = tokens.ids.length;
  progress("read", 0, rows);
  const x = await dataset.readRows(firstRow, rows);
  progress("read", rows, rows);
  const encoded = await encodeInChunks(sae, x, rows, kernels, options.chunkRows, (done, total) =>
    progress("encode", done, total),
  );
  let set: EvalSet = { x, rows };
  let conceptNames: string[] | null = null;
  if (vocab) {
    progress("concepts", 0, 1);
    const bank = buildConceptBank(tokens, vocab);
    set = { x, rows, concepts: { labels: bank.labels, count: bank.count, names: bank.names } };
    conceptNames = bank.names;
  }
  // The task measures (probing, absorption) are per SAE, not per latent: the browser does not show them.
  const evalOptions = {
    ...defaultEvalOptions,
    chunkRows: options.chunkRows,
    probing: null,
    absorption: null,
  };
  const details = measureEncoded(sae, set, encoded, evalOptions, CONCEPTS_PER_LATENT);
  if (vocab) progress("concepts", 1, 1);
  return { details, codes: encoded.codes, conceptNames };
}

function saeOverview(
  saePath: string,
  architecture: string,
  sae: Sae,
  dataset: ActivationDataset,
  firstRow: number,
  rows: number,
  details: EvalDetails,
  data: FeatureData,
): SaeOverview {
  const folder = resolve(saePath);
  // A run folder keeps its SAE in …/<run>/sae: the run's name says more.
  const label = basename(folder) === "sae" ? basename(dirname(folder)) : basename(folder);
  const { report } = details;
  const measure = (x: number) => roundSignificant(x);
  const orNull = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? null : measure(x));
  return {
    label,
    architecture,
    score: sae.config.score,
    activation: sae.config.activation,
    decode: sae.config.decode,
    d: sae.config.d,
    m: sae.config.m,
    k: sae.config.k,
    hook: dataset.manifest?.hook ?? null,
    model: dataset.manifest?.model ?? null,
    firstRow,
    tokens: rows,
    measures: {
      fvu: measure(report.fvu),
      l0: measure(report.l0),
      deadShare: measure(report.deadShare),
      // NaN when nothing fires: then no latent is a norm detector.
      normDetectorShare: Number.isNaN(report.normDetectorShare) ? 0 : measure(report.normDetectorShare),
      alignedShare: report.alignment ? orNull(report.alignment.alignedShare) : null,
      alphaMedian: orNull(report.alpha?.median),
    },
    hasConcepts: data.concepts !== null && data.concepts.names.length > 0,
    hasUnembedding: data.logits !== null,
  };
}
