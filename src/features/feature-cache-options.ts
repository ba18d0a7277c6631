/** What the feature cache holds per latent, and on how many tokens. All go into the cache's stamp. */
export interface FeatureCacheOptions {
  /** dataset rows encoded: the last `tokens` rows, moved back to a sequence start (all rows if fewer) */
  tokens: number;
  /** top-activating contexts per latent */
  top: number;
  /** rank-quantile bands of the fires … */
  bands: number;
  /** … and random contexts shown per band */
  perBand: number;
  /** context tokens before and after the focus token */
  before: number;
  after: number;
  /** ‖x‖-against-activation points: firing tokens, and non-firing ones (at 0) */
  scatterFiring: number;
  scatterSilent: number;
  /** histogram bins over [0, max activation] */
  histogramBins: number;
  /** tokens listed as promoted and as suppressed by the decoder direction */
  promoted: number;
  /** seed of every sample */
  seed: number;
  /** tokens encoded at a time (bounds the score matrix) */
  chunkRows: number;
}

export const defaultFeatureCacheOptions: FeatureCacheOptions = {
  tokens: 131072,
  top: 16,
  bands: 4,
  perBand: 4,
  before: 10,
  after: 4,
  scatterFiring: 300,
  scatterSilent: 150,
  histogramBins: 40,
  promoted: 10,
  seed: 0,
  chunkRows: 4096,
};

/** Smallest value of each option. */
const minimum: Record<keyof FeatureCacheOptions, number> = {
  tokens: 1,
  top: 0,
  bands: 1,
  perBand: 0,
  before: 0,
  after: 0,
  scatterFiring: 0,
  scatterSilent: 0,
  histogramBins: 1,
  promoted: 0,
  seed: 0,
  chunkRows: 1,
};

/** The defaults with `options` on top; throws naming the first unknown or out-of-range option. */
export function resolveFeatureCacheOptions(options: Partial<FeatureCacheOptions> = {}): FeatureCacheOptions {
  const o = { ...defaultFeatureCacheOptions };
  for (const [key, value] of Object.entries(options)) {
    if (!(key in defaultFeatureCacheOptions)) {
      throw new RangeError(
        `feature cache: unknown option "${key}" (known: ${Object.keys(defaultFeatureCacheOptions).join(", ")})`,
      );
    }
    if (value === undefined) continue;
    const min = minimum[key as keyof FeatureCacheOptions];
    if (!(Number.isSafeInteger(value) && value >= min)) {
      throw new RangeError(`feature cache: option "${key}" is ${value}; expected an integer ≥ ${min}`);
    }
    o[key as keyof FeatureCacheOptions] = value;
  }
  return o;
}
