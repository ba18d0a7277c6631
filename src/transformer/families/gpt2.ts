/**
 * GPT-2 (transformers' GPT2LMHeadModel): LayerNorm with biases, learned
 * positions, fused c_attn, plain MLP with gelu_new, tied head. Its Conv1D
 * layers store weights [in, out] (y = x W + b): each is transposed to cosae's
 * [out, in]. Tensor names may carry the "transformer." prefix
 * (GPT2LMHeadModel.save_pretrained) or not (the original openai checkpoints).
 * Defaults are GPT2Config's.
 */
import type { DecoderConfig, DecoderLayerWeights, DecoderWeights, NormWeights } from "../decoder-config.js";
import { readActivation } from "./activation.js";
import { ConfigReader } from "./config-reader.js";
import type { ModelFamily, TakeTensor } from "./family.js";
import { checkDivides } from "./shape-checks.js";
import { readClassifier } from "./tied-classifier.js";

export function parseGpt2Config(json: Readonly<Record<string, unknown>>, source: string): DecoderConfig {
  const r = new ConfigReader(json, source, "gpt2");
  const dim = r.positiveInteger("n_embd", 768);
  const heads = r.positiveInteger("n_head", 12);
  const headSize = checkDivides(r, dim, heads, { dim: "n_embd", heads: "n_head" });
  // Attention scores are divided by √headSize unless scale_attn_weights is false.
  const scaled = r.boolean("scale_attn_weights", true);
  r.expect(
    "scale_attn_by_inverse_layer_idx",
    (v) => v === false,
    "false (scaling attention by 1 / (layer + 1) is not implemented)",
  );
  // Only the order and precision of the same products (cosae computes in float32 either way).
  r.expect("reorder_and_upcast_attn", (v) => typeof v === "boolean", "true or false");
  r.inert(
    "resid_pdrop",
    "embd_pdrop",
    "attn_pdrop",
    "initializer_range",
    // The sequence-classification / double-heads summary head, not the language-model head.
    "summary_type",
    "summary_use_proj",
    "summary_activation",
    "summary_proj_to_labels",
    "summary_first_dropout",
    // Legacy context length of old configs; the modeling code reads n_positions.
    "n_ctx",
  );
  const layers = r.positiveInteger("n_layer", 12);
  const config: DecoderConfig = {
    family: "gpt2",
    dim,
    layers,
    heads,
    kvHeads: heads,
    headSize,
    // n_inner None means 4 · n_embd.
    mlpDim: r.positiveIntegerOrNull("n_inner") ?? 4 * dim,
    vocabSize: r.positiveInteger("vocab_size", 50257),
    maxSeqLen: r.positiveInteger("n_positions", 1024),
    norm: { kind: "layer", eps: r.positiveNumber("layer_norm_epsilon", 1e-5), unitOffset: false },
    learnedPositions: true,
    rotary: null,
    qkvBias: true,
    outBias: true,
    attentionScale: scaled ? 1 / Math.sqrt(headSize) : 1,
    attentionSoftcap: null,
    slidingWindow: null,
    slidingLayers: new Array<boolean>(layers).fill(false),
    mlp: "plain",
    mlpBias: true,
    activation: readActivation(r, "activation_function", "gelu_new"),
    residual: "sequential",
    postNorms: false,
    embeddingScale: 1,
    finalSoftcap: null,
    sharedClassifier: r.boolean("tie_word_embeddings", true),
  };
  r.finish();
  return config;
}

/** A Conv1D weight stored [rows, cols] = [in, out], as [out, in]. */
export function transposeConv1D(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  // 32 × 32 tiles keep the strided writes in cache: 768 × 3072 in ~11 ms instead of ~22 ms.
  const tile = 32;
  for (let i0 = 0; i0 < rows; i0 += tile) {
    const i1 = Math.min(rows, i0 + tile);
    for (let j0 = 0; j0 < cols; j0 += tile) {
      const j1 = Math.min(cols, j0 + tile);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) out[j * rows + i] = w[i * cols + j]!;
      }
    }
  }
  return out;
}

export function readGpt2Weights(
  config: DecoderConfig,
  take: TakeTensor,
  has: (name: string) => boolean,
): DecoderWeights {
  const { dim, mlpDim, vocabSize, maxSeqLen } = config;
  const prefix = has("transformer.wte.weight") ? "transformer." : "";
  const norm = (name: string): NormWeights => ({
    weight: take(`${name}.weight`, [dim]),
    bias: take(`${name}.bias`, [dim]),
  });
  const conv = (name: string, inputs: number, outputs: number): Float32Array =>
    transposeConv1D(take(`${name}.weight`, [inputs, outputs]), inputs, outputs);
  const layers: DecoderLayerWeights[] = [];
  for (let l = 0; l < config.layers; l++) {
    const p = `${prefix}h.${l}.`;
    // c_attn: [dim, 3·dim]; after transposition rows [0, d) are q, [d, 2d) k, [2d, 3d) v (split(dim, dim=2)).
    const qkv = conv(`${p}attn.c_attn`, dim, 3 * dim);
    const qkvBias = take(`${p}attn.c_attn.bias`, [3 * dim]);
    const rows = dim * dim;
    layers.push({
      ln1: norm(`${p}ln_1`),
      ln1Post: null,
      ln2: norm(`${p}ln_2`),
      ln2Post: null,
      wq: qkv.slice(0, rows),
      wk: qkv.slice(rows, 2 * rows),
      wv: qkv.slice(2 * rows, 3 * rows),
      bq: qkvBias.slice(0, dim),
      bk: qkvBias.slice(dim, 2 * dim),
      bv: qkvBias.slice(2 * dim, 3 * dim),
      wo: conv(`${p}attn.c_proj`, dim, dim),
      bo: take(`${p}attn.c_proj.bias`, [dim]),
      wGate: null,
      wUp: conv(`${p}mlp.c_fc`, dim, mlpDim),
      bUp: take(`${p}mlp.c_fc.bias`, [mlpDim]),
      wDown: conv(`${p}mlp.c_proj`, mlpDim, dim),
      bDown: take(`${p}mlp.c_proj.bias`, [dim]),
    });
  }
  const tokenEmbedding = take(`${prefix}wte.weight`, [vocabSize, dim]);
  return {
    tokenEmbedding,
    positionEmbedding: take(`${prefix}wpe.weight`, [maxSeqLen, dim]),
    layers,
    finalNorm: norm(`${prefix}ln_f`),
    classifier: readClassifier(config, take, has, tokenEmbedding, {
      embedding: `${prefix}wte.weight`,
      head: "lm_head.weight",
    }),
  };
}

export const gpt2Family: ModelFamily = {
  modelType: "gpt2",
  architectures: ["GPT2LMHeadModel"],
  parseConfig: parseGpt2Config,
  readWeights: readGpt2Weights,
  // The causal-mask buffers GPT2Attention registered (persistent in old transformers).
  buffers: [/^(transformer\.)?h\.\d+\.attn\.(masked_)?bias$/],
};
