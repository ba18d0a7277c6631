import type { FeatureCache } from "../features/feature-cache-file.js";
import { DecoderDirections } from "./decoder-directions.js";

/** One SAE as the server holds it: its open feature cache and its decoder rows. */
export interface ServedSae {
  cache: FeatureCache;
  directions: DecoderDirections;
}

/** Pairs a cache with the decoder of the SAE it was built from, checking that they belong together. */
export function servedSae(
  cache: FeatureCache,
  decoder: { rows: Float32Array; m: number; d: number },
): ServedSae {
  const { overview } = cache.header;
  if (overview.m !== decoder.m || overview.d !== decoder.d) {
    throw new Error(
      `${cache.path}: the cache is for m = ${overview.m}, d = ${overview.d} but the SAE has m = ${decoder.m}, d = ${decoder.d}; rebuild it (--rebuild)`,
    );
  }
  return { cache, directions: new DecoderDirections(decoder.rows, decoder.m, decoder.d) };
}
