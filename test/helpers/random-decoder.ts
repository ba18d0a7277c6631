/**
 * Tiny random-weight DecoderModels of any DecoderConfig, for tests of the
 * forward pass's wiring (hooks, residual layouts, stopping) that need no real
 * checkpoint. Weights are seeded, so failures reproduce.
 */

import { DecoderModel } from "../../src/transformer/decoder.js";
import type {
  DecoderConfig,
  DecoderLayerWeights,
  DecoderWeights,
  NormWeights,
} from "../../src/transformer/decoder-config.js";

/** A small Llama-shaped config; override fields to get the other families' traits. */
export function smallConfig(overrides: Partial<DecoderConfig> = {}): DecoderConfig {
  const layers = overrides.layers ?? 3;
  return {
    family: "test",
    dim: 32,
    layers,
    heads: 4,
    kvHeads: 2,
    headSize: 8,
    mlpDim: 48,
    vocabSize: 50,
    maxSeqLen: 64,
    norm: { kind: "rms", eps: 1e-6, unitOffset: false },
    learnedPositions: false,
    rotary: { theta: 10000, dims: 8, style: "half-split", scaling: null },
    qkvBias: false,
    outBias: false,
    attentionScale: 1 / Math.sqrt(8),
    attentionSoftcap: null,
    slidingWindow: null,
    slidingLayers: Array.from({ length: layers }, () => false),
    mlp: "gated",
    mlpBias: false,
    activation: "silu",
    residual: "sequential",
    postNorms: false,
    embeddingScale: 1,
    finalSoftcap: null,
    sharedClassifier: false,
    ...overrides,
  };
}

/** GPT-2's traits: LayerNorm, learned positions, biases, plain gelu-tanh MLP, tied head. */
export const gpt2Traits: Partial<DecoderConfig> = {
  family: "gpt2",
  kvHeads: 4,
  norm: { kind: "layer", eps: 1e-5, unitOffset: false },
  learnedPositions: true,
  rotary: null,
  qkvBias: true,
  outBias: true,
  mlp: "plain",
  mlpBias: true,
  activation: "gelu-tanh",
  sharedClassifier: true,
};

/** Seeded uniform weights of the config's shapes: matrices scaled by 1/√in, gains near 1 (near 0 with a unit offset). */
export function randomDecoderWeights(config: DecoderConfig, seed = 1): DecoderWeights {
  let s = seed >>> 0;
  const random = (n: number, range: number, offset = 0) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      out[i] = offset + (s / 2 ** 32 - 0.5) * 2 * range;
    }
    return out;
  };
  const { dim, mlpDim, heads, kvHeads, headSize } = config;
  const q = heads * headSize;
  const kv = kvHeads * headSize;
  const norm = (): NormWeights => ({
    weight: random(dim, 0.2, config.norm.unitOffset ? 0 : 1),
    bias: config.norm.kind === "layer" ? random(dim, 0.1) : null,
  });
  const matrix = (rows: number, cols: number) => random(rows * cols, 1 / Math.sqrt(cols));
  const bias = (has: boolean, n: number) => (has ? random(n, 0.1) : null);
  const layers: DecoderLayerWeights[] = Array.from({ length: config.layers }, () => ({
    ln1: norm(),
    ln1Post: config.postNorms ? norm() : null,
    ln2: norm(),
    ln2Post: config.postNorms ? norm() : null,
    wq: matrix(q, dim),
    wk: matrix(kv, dim),
    wv: matrix(kv, dim),
    bq: bias(config.qkvBias, q),
    bk: bias(config.qkvBias, kv),
    bv: bias(config.qkvBias, kv),
    wo: matrix(dim, q),
    bo: bias(config.outBias, dim),
    wGate: config.mlp === "gated" ? matrix(mlpDim, dim) : null,
    wUp: matrix(mlpDim, dim),
    bUp: bias(config.mlpBias, mlpDim),
    wDown: matrix(dim, mlpDim),
    bDown: bias(config.mlpBias, dim),
  }));
  const tokenEmbedding = random(config.vocabSize * dim, 1);
  return {
    tokenEmbedding,
    positionEmbedding: config.learnedPositions ? random(config.maxSeqLen * dim, 0.5) : null,
    layers,
    finalNorm: norm(),
    classifier: config.sharedClassifier ? tokenEmbedding : random(config.vocabSize * dim, 1),
  };
}

export function randomDecoder(config: DecoderConfig, seed = 1): DecoderModel {
  return new DecoderModel(config, randomDecoderWeights(config, seed), {
    source: `random ${config.family} model`,
    format: "test",
  });
}
