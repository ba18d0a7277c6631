/**
 * Checks that a DecoderConfig describes a model that can exist, and that
 * DecoderWeights fit it: the loaders' guard, so the forward pass never reads
 * past an array or runs a shape it does not implement.
 */
import type { DecoderConfig, DecoderLayerWeights, DecoderWeights, NormWeights } from "./decoder-config.js";
import { ModelFormatError } from "./model-format-error.js";

/** How the source file spells each field, for messages (default: the DecoderConfig name). */
export type DecoderFieldNames = Partial<Record<keyof DecoderConfig, string>>;

function positiveInteger(value: number, field: string, source: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ModelFormatError(`${source}: ${field} is ${value}; expected a positive integer`);
  }
}

function positiveNumber(value: number, field: string, source: string): void {
  if (!(value > 0 && Number.isFinite(value))) {
    throw new ModelFormatError(`${source}: ${field} is ${value}; expected a positive number`);
  }
}

/** Throws a ModelFormatError naming `source` and the field unless the config is runnable; returns it. */
export function validateDecoderConfig(
  config: DecoderConfig,
  source: string,
  fieldNames: DecoderFieldNames = {},
): DecoderConfig {
  const name = (k: keyof DecoderConfig): string => fieldNames[k] ?? k;
  for (const k of [
    "dim",
    "layers",
    "heads",
    "kvHeads",
    "headSize",
    "mlpDim",
    "vocabSize",
    "maxSeqLen",
  ] as const) {
    positiveInteger(config[k], name(k), source);
  }
  if (config.kvHeads > config.heads || config.heads % config.kvHeads !== 0) {
    throw new ModelFormatError(
      `${source}: ${name("kvHeads")} ${config.kvHeads} does not divide ${name("heads")} ${config.heads}; ` +
        "expected the query heads to be a whole multiple of the key/value heads",
    );
  }
  positiveNumber(config.norm.eps, `${name("norm")} eps`, source);
  positiveNumber(config.attentionScale, name("attentionScale"), source);
  positiveNumber(config.embeddingScale, name("embeddingScale"), source);
  if (config.attentionSoftcap !== null)
    positiveNumber(config.attentionSoftcap, name("attentionSoftcap"), source);
  if (config.finalSoftcap !== null) positiveNumber(config.finalSoftcap, name("finalSoftcap"), source);
  if (config.slidingWindow !== null) positiveInteger(config.slidingWindow, name("slidingWindow"), source);
  if (
    config.slidingLayers.length !== config.layers &&
    !(config.slidingWindow === null && config.slidingLayers.length === 0)
  ) {
    throw new ModelFormatError(
      `${source}: ${name("slidingLayers")} has ${config.slidingLayers.length} entries; expected one per layer (${config.layers})`,
    );
  }
  const r = config.rotary;
  if (r !== null) {
    positiveNumber(r.theta, `${name("rotary")} theta`, source);
    if (!Number.isSafeInteger(r.dims) || r.dims <= 0 || r.dims % 2 !== 0 || r.dims > config.headSize) {
      throw new ModelFormatError(
        `${source}: rotary dimensions ${r.dims} (of head size ${config.headSize}); expected an even number ` +
          "between 2 and the head size",
      );
    }
    if (r.style !== "adjacent-pairs" && r.style !== "half-split") {
      throw new ModelFormatError(
        `${source}: rope style ${JSON.stringify(r.style)}; expected "adjacent-pairs" or "half-split"`,
      );
    }
    if (r.scaling !== null) {
      const s = r.scaling;
      for (const k of ["factor", "lowFreqFactor", "highFreqFactor", "originalMaxPositions"] as const) {
        positiveNumber(s[k], `${name("rotary")} scaling ${k}`, source);
      }
      if (!(s.highFreqFactor > s.lowFreqFactor)) {
        throw new ModelFormatError(
          `${source}: rope scaling high_freq_factor ${s.highFreqFactor} must exceed low_freq_factor ${s.lowFreqFactor}`,
        );
      }
    }
  }
  return config;
}

/** The element count every layer tensor must have (null: must be absent). */
function layerTensorSizes(c: DecoderConfig): Record<keyof DecoderLayerWeights, number | null> {
  const q = c.heads * c.headSize;
  const kv = c.kvHeads * c.headSize;
  const gated = c.mlp === "gated";
  return {
    ln1: c.dim,
    ln1Post: c.postNorms ? c.dim : null,
    ln2: c.dim,
    ln2Post: c.postNorms ? c.dim : null,
    wq: q * c.dim,
    wk: kv * c.dim,
    wv: kv * c.dim,
    bq: c.qkvBias ? q : null,
    bk: c.qkvBias ? kv : null,
    bv: c.qkvBias ? kv : null,
    wo: c.dim * q,
    bo: c.outBias ? c.dim : null,
    wGate: gated ? c.mlpDim * c.dim : null,
    wUp: c.mlpDim * c.dim,
    bUp: c.mlpBias ? c.mlpDim : null,
    wDown: c.dim * c.mlpDim,
    bDown: c.mlpBias ? c.dim : null,
  };
}

/** Throws unless every tensor has the size the config implies (a bug guard for loaders). */
export function checkDecoderWeights(config: DecoderConfig, weights: DecoderWeights, source: string): void {
  const expect = (what: string, got: number | null, want: number | null): void => {
    if (got !== want) {
      const describe = (n: number | null) => (n === null ? "none" : `${n} elements`);
      throw new ModelFormatError(`${source}: ${what} has ${describe(got)}; expected ${describe(want)}`);
    }
  };
  const norm = (what: string, w: NormWeights | null, want: number | null): void => {
    expect(`${what}.weight`, w?.weight.length ?? null, want);
    expect(
      `${what}.bias`,
      w?.bias?.length ?? null,
      want === null || config.norm.kind === "rms" ? null : want,
    );
  };
  const { dim, vocabSize } = config;
  expect("tokenEmbedding", weights.tokenEmbedding.length, vocabSize * dim);
  expect(
    "positionEmbedding",
    weights.positionEmbedding?.length ?? null,
    config.learnedPositions ? config.maxSeqLen * dim : null,
  );
  expect("classifier", weights.classifier.length, vocabSize * dim);
  norm("finalNorm", weights.finalNorm, dim);
  if (weights.layers.length !== config.layers) {
    throw new ModelFormatError(`${source}: ${weights.layers.length} layers; expected ${config.layers}`);
  }
  const sizes = layerTensorSizes(config);
  weights.layers.forEach((layer, l) => {
    for (const [k, n] of Object.entries(sizes) as [keyof DecoderLayerWeights, number | null][]) {
      const w = layer[k];
      if (k === "ln1" || k === "ln2" || k === "ln1Post" || k === "ln2Post")
        norm(`layers[${l}].${k}`, w as NormWeights | null, n);
      else expect(`layers[${l}].${k}`, (w as Float32Array | null)?.length ?? null, n);
    }
  });
}
