/**
 * What a feature cache was built from (CacheStamp): a cache is reused only
 * when the wanted stamp equals the stored one, so a retrained SAE (new weights
 * file size or mtime), a grown dataset, another model or any other option
 * rebuilds it.
 */
import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import type { ActivationDataset } from "../data/activation-dataset.js";
import { weightsFile } from "../io/sae-folder.js";
import type { CacheStamp } from "./feature-cache-file.js";
import type { FeatureCacheOptions } from "./feature-cache-options.js";

export async function cacheStamp(
  saePath: string,
  dataset: ActivationDataset,
  modelPath: string | null,
  options: FeatureCacheOptions,
): Promise<CacheStamp> {
  const weights = join(resolve(saePath), weightsFile);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(weights);
  } catch (e) {
    throw new Error(`${saePath}: cannot read the SAE's weights ${weights}: ${(e as Error).message}`);
  }
  return {
    sae: { path: resolve(saePath), weightsBytes: info.size, weightsModifiedMs: info.mtimeMs },
    data: { path: dataset.path, rows: dataset.rows },
    model: modelPath,
    options: { ...options },
  };
}

/** Equal stamps (key order aside). */
export function sameStamp(a: CacheStamp, b: CacheStamp): boolean {
  return isDeepStrictEqual(a, b);
}
