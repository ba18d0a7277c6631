/**
 * The activations the training page trains on: an activation dataset opened
 * the way `cosae train --data PATH` opens it (the same streaming defaults), so
 * batch i of size B for seed s holds the rows a Node run with --seed s reads
 * at step i. The shuffle depends on the seed, so each seed has its own source;
 * the few most recent are kept open.
 */
import {
  type ActivationDataConfig,
  openActivationData,
  validateActivationDataConfig,
} from "../data/activation-data-config.js";
import type { ActivationStreamSource } from "../data/activation-source.js";
import type { TrainingDataMeta } from "./training-api.js";

/** A batch of float32 rows is at most this many bytes (and rows): a bound on one response's memory. */
export const maxBatchBytes = 32 * 2 ** 20;
export const maxBatchRowsCap = 8192;
/** Sources (one per seed) kept open at once; each holds up to two shuffle windows. */
const openSeeds = 2;

export class TrainingData {
  /** most recently used last */
  private readonly sources = new Map<number, Promise<ActivationStreamSource>>();

  private constructor(
    private readonly config: ActivationDataConfig,
    readonly meta: TrainingDataMeta,
  ) {}

  /** Opens `path` (seed 0 first, to learn d and the rows); errors name the path. */
  static async open(path: string): Promise<TrainingData> {
    const config = validateActivationDataConfig({ path }, "--data");
    const { source } = await openActivationData(config, 0);
    const { d } = source;
    const meta: TrainingDataMeta = {
      d,
      rows: source.plan.rows,
      dataset: source.dataset.describe(),
      maxBatchRows: Math.max(1, Math.min(maxBatchRowsCap, Math.floor(maxBatchBytes / (4 * d)))),
    };
    const data = new TrainingData(config, meta);
    data.sources.set(0, Promise.resolve(source));
    return data;
  }

  /** Batch `index` of `size` rows, [size, d] float32, as `cosae train --seed seed` reads it. */
  async batch(seed: number, index: number, size: number): Promise<Float32Array> {
    return (await this.source(seed)).trainBatch(index, size);
  }

  private source(seed: number): Promise<ActivationStreamSource> {
    let source = this.sources.get(seed);
    if (source) this.sources.delete(seed);
    else {
      const opening = openActivationData(this.config, seed).then((opened) => opened.source);
      // a failed open is not kept: the next request tries again
      opening.catch(() => {
        if (this.sources.get(seed) === opening) this.sources.delete(seed);
      });
      source = opening;
    }
    this.sources.set(seed, source);
    while (this.sources.size > openSeeds) this.sources.delete(this.sources.keys().next().value!);
    return source;
  }
}
