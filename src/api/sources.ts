/**
 * Activation sources for library users: rows already in memory, files and
 * shard folders on disk, and the built-in synthetic dataset. A source is what
 * training reads; batch i is a pure function of i, so training is reproducible.
 */
import { openActivationData, validateActivationDataConfig } from "../data/activation-data-config.js";
import { ActivationDataset } from "../data/activation-dataset.js";
import type { ActivationSource } from "../data/source.js";
import { type SyntheticConfig, SyntheticDataset } from "../data/synthetic.js";
import { syntheticSource } from "../data/synthetic-source.js";
import { Rng } from "../util/rng.js";

export type { ActivationSource } from "../data/source.js";

/** Options of {@link arraySource}. */
export interface ArraySourceOptions {
  /** seeds the row order of each pass over the rows (default 0) */
  seed?: number;
  /** one line for logs and the SAE's cfg.json (default "array [rows, d]") */
  description?: string;
}

/**
 * Rows held in memory, `x` [rows, d] row-major, as a training source. Each
 * pass over the rows visits them in a fresh seeded order; a batch that
 * crosses the end of a pass continues into the next one. The array is read,
 * never copied or changed: keep it unchanged while training.
 */
export function arraySource(
  x: Float32Array,
  rows: number,
  d: number,
  options: ArraySourceOptions = {},
): ActivationSource {
  if (!(Number.isInteger(rows) && rows >= 1 && Number.isInteger(d) && d >= 1))
    throw new RangeError(`arraySource: rows (${rows}) and d (${d}) must be positive integers`);
  if (x.length !== rows * d)
    throw new RangeError(
      `arraySource: x holds ${x.length} values, but rows × d = ${rows} × ${d} = ${rows * d}`,
    );
  const seed = options.seed ?? 0;
  const orders = new Map<number, Uint32Array>();
  /** the visiting order of pass `pass` (the last two are kept: a batch spans at most a few passes) */
  const orderOf = (pass: number): Uint32Array => {
    let order = orders.get(pass);
    if (!order) {
      order = shuffled(rows, new Rng(seed, 0x61727261, pass));
      orders.set(pass, order);
      for (const key of orders.keys()) if (key < pass - 1) orders.delete(key);
    }
    return order;
  };
  return {
    d,
    description: options.description ?? `array [${rows}, ${d}]`,
    trainBatch(index, size) {
      const out = new Float32Array(size * d);
      for (let i = 0; i < size; i++) {
        const position = index * size + i;
        const row = orderOf(Math.floor(position / rows))[position % rows]!;
        out.set(x.subarray(row * d, (row + 1) * d), i * d);
      }
      return out;
    },
  };
}

/** 0 … n−1 in a seeded random order (Fisher–Yates). */
function shuffled(n: number, rng: Rng): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** The built-in synthetic dataset's training stream (DESIGN §5); `config` overrides its defaults. */
export function syntheticActivations(config: Partial<SyntheticConfig> = {}): ActivationSource {
  return syntheticSource(new SyntheticDataset(config));
}

/** Options of {@link openActivations}: as `data.activations` of a `cosae train` config. */
export interface OpenActivationsOptions {
  /** seeds the block shuffle (default 0; `cosae train` uses the run's seed) */
  seed?: number;
  /** rows at the end kept out of training for evaluation (moved back to a sequence start; default 0) */
  holdOut?: number;
  /** memory for the shuffle buffer in MiB (default 256) */
  bufferMiB?: number;
  /** rows per shuffled chunk (default 8192) */
  chunkRows?: number;
  /** rows holding NaN or Inf: `"error"` (default) stops naming file and row, `"skip"` drops them */
  nonFinite?: "error" | "skip";
}

/**
 * An activation dataset on disk as a streaming training source, with bounded
 * memory: a `.npy` or `.safetensors` file [rows, d], or a shard folder with
 * `manifest.json` (what `cosae harvest` writes).
 */
export async function openActivations(
  path: string,
  options: OpenActivationsOptions = {},
): Promise<ActivationSource> {
  const { seed = 0, ...streaming } = options;
  const config = validateActivationDataConfig(
    { ...streaming, path },
    `openActivations(${JSON.stringify(path)})`,
  );
  return (await openActivationData(config, seed)).source;
}

/** Rows read from an activation file or shard folder, `x` [rows, d] row-major. */
export interface ActivationRows {
  /** raw activations [rows, d] */
  x: Float32Array;
  /** rows read */
  rows: number;
  /** width of each row */
  d: number;
}

/**
 * Reads rows [start, start + count) of an activation file or shard folder
 * into memory (default: all of them), e.g. to encode them or to train from an
 * {@link arraySource}.
 */
export async function readActivations(
  path: string,
  range: { start?: number; count?: number } = {},
): Promise<ActivationRows> {
  const dataset = await ActivationDataset.open(path);
  const start = range.start ?? 0;
  const count = range.count ?? dataset.rows - start;
  if (
    !(
      Number.isInteger(start) &&
      Number.isInteger(count) &&
      start >= 0 &&
      count >= 1 &&
      start + count <= dataset.rows
    )
  )
    throw new RangeError(
      `${dataset.path}: rows [${start}, ${start + count}) asked of a dataset with ${dataset.rows} rows`,
    );
  return { x: await dataset.readRows(start, count), rows: count, d: dataset.d };
}
