import { kvDim, type LlamaConfig } from "./llama-config.js";
import { ModelFormatError } from "./model-format-error.js";

/** One decoder block's parameters; matrices row-major [out, in] (y = W x), float32. */
export interface LlamaLayerWeights {
  /** RMSNorm gain before attention [dim]. */
  readonly attnNorm: Float32Array;
  readonly wq: Float32Array; // [dim, dim]
  readonly wk: Float32Array; // [kvDim, dim]
  readonly wv: Float32Array; // [kvDim, dim]
  readonly wo: Float32Array; // [dim, dim]
  /** RMSNorm gain before the MLP [dim]. */
  readonly mlpNorm: Float32Array;
  /** SwiGLU gate (llama2.c w1, HF gate_proj) [hidden, dim]. */
  readonly wGate: Float32Array;
  /** SwiGLU up (llama2.c w3, HF up_proj) [hidden, dim]. */
  readonly wUp: Float32Array;
  /** Down projection (llama2.c w2, HF down_proj) [dim, hidden]. */
  readonly wDown: Float32Array;
}

export interface LlamaWeights {
  readonly tokenEmbedding: Float32Array; // [vocab, dim]
  readonly layers: readonly LlamaLayerWeights[];
  readonly finalNorm: Float32Array; // [dim]
  /** [vocab, dim]; the token embedding itself when the classifier is shared. */
  readonly classifier: Float32Array;
}

/** The element count every tensor must have, by the names used in LlamaLayerWeights. */
export function layerTensorSizes(config: LlamaConfig): Record<keyof LlamaLayerWeights, number> {
  const { dim, hiddenDim } = config;
  const kv = kvDim(config);
  return {
    attnNorm: dim,
    wq: dim * dim,
    wk: kv * dim,
    wv: kv * dim,
    wo: dim * dim,
    mlpNorm: dim,
    wGate: hiddenDim * dim,
    wUp: hiddenDim * dim,
    wDown: dim * hiddenDim,
  };
}

/** Throws unless every tensor has the size the config implies (a bug guard for new loaders). */
export function checkWeightSizes(config: LlamaConfig, weights: LlamaWeights, source: string): void {
  const expect = (what: string, got: number, want: number): void => {
    if (got !== want) {
      throw new ModelFormatError(`${source}: ${what} has ${got} elements; expected ${want}`);
    }
  };
  expect("tokenEmbedding", weights.tokenEmbedding.length, config.vocabSize * config.dim);
  expect("classifier", weights.classifier.length, config.vocabSize * config.dim);
  expect("finalNorm", weights.finalNorm.length, config.dim);
  if (weights.layers.length !== config.layers) {
    throw new ModelFormatError(`${source}: ${weights.layers.length} layers; expected ${config.layers}`);
  }
  const sizes = layerTensorSizes(config);
  weights.layers.forEach((layer, l) => {
    for (const [k, n] of Object.entries(sizes)) {
      expect(`layers[${l}].${k}`, layer[k as keyof LlamaLayerWeights].length, n);
    }
  });
}
