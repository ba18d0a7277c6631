/**
 * GPT-NeoX / Pythia (transformers' GPTNeoXForCausalLM): LayerNorm with biases,
 * parallel attention and MLP (use_parallel_residual), rotate_half RoPE on the
 * first int(headSize · rotary_pct) dimensions of each head, plain MLP with
 * exact GELU, a separate embed_out. The fused query_key_value is laid out per
 * head — rows [heads, 3, headSize] — which modeling_gpt_neox.py splits with
 * view(…, heads, 3·headSize) then chunks into q, k, v. Defaults are GPTNeoXConfig's.
 */
import type { DecoderConfig, DecoderLayerWeights, DecoderWeights, NormWeights } from "../decoder-config.js";
import { readActivation } from "./activation.js";
import { ConfigReader } from "./config-reader.js";
import type { ModelFamily, TakeTensor } from "./family.js";
import { readRope } from "./rope-config.js";
import { checkDivides, checkRotaryDims } from "./shape-checks.js";
import { readClassifier } from "./tied-classifier.js";

export function parseGptNeoxConfig(json: Readonly<Record<string, unknown>>, source: string): DecoderConfig {
  const r = new ConfigReader(json, source, "gpt_neox");
  const dim = r.positiveInteger("hidden_size", 6144);
  const heads = r.positiveInteger("num_attention_heads", 64);
  const headSize = checkDivides(r, dim, heads, { dim: "hidden_size", heads: "num_attention_heads" });
  // transformers ≤ 4.44 wrote rotary_emb_base; later v4 writes rope_theta too, v5 rope_parameters.
  const base = r.raw("rotary_emb_base");
  const theta = r.raw("rope_theta");
  if (base !== undefined && theta !== undefined && base !== theta) {
    r.fail(`fields "rotary_emb_base" ${base} and "rope_theta" ${theta} differ; expected one RoPE base`);
  }
  const rope = readRope(r, {
    defaultTheta: 10000,
    thetaFields: ["rotary_emb_base", "rope_theta"],
    llama3: false,
    partial: true,
  });
  // transformers 4.45–4.5x also write partial_rotary_factor (a copy of rotary_pct, which wins on load).
  const pctFields = ["rotary_pct", "partial_rotary_factor"].map((f) => [f, r.raw(f)] as const);
  for (const [field, v] of pctFields) {
    if (v !== undefined && (typeof v !== "number" || !(v > 0 && v <= 1)))
      r.invalid(field, v, "a number in (0, 1]");
  }
  const [pctValue, copy] = pctFields.map(([, v]) => v as number | undefined);
  if (pctValue !== undefined && copy !== undefined && pctValue !== copy) {
    r.fail(
      `fields "rotary_pct" ${pctValue} and "partial_rotary_factor" ${copy} differ; expected one rotary fraction`,
    );
  }
  const pct = rope.partialRotaryFactor ?? pctValue ?? copy ?? 0.25;
  // Python's int(head_size * rotary_pct): the product in double precision, truncated.
  const rotaryDims = Math.trunc(headSize * pct);
  checkRotaryDims(r, rotaryDims, `int(${headSize} · rotary_pct ${pct})`);
  const attentionBias = r.boolean("attention_bias", true);
  r.inert("attention_dropout", "hidden_dropout", "classifier_dropout", "initializer_range");
  const layers = r.positiveInteger("num_hidden_layers", 44);
  const config: DecoderConfig = {
    family: "gpt_neox",
    dim,
    layers,
    heads,
    kvHeads: heads,
    headSize,
    mlpDim: r.positiveInteger("intermediate_size", 24576),
    vocabSize: r.positiveInteger("vocab_size", 50432),
    maxSeqLen: r.positiveInteger("max_position_embeddings", 2048),
    norm: { kind: "layer", eps: r.positiveNumber("layer_norm_eps", 1e-5), unitOffset: false },
    learnedPositions: false,
    rotary: { theta: rope.theta, dims: rotaryDims, style: "half-split", scaling: null },
    qkvBias: attentionBias,
    outBias: attentionBias,
    attentionScale: 1 / Math.sqrt(headSize),
    attentionSoftcap: null,
    slidingWindow: null,
    slidingLayers: new Array<boolean>(layers).fill(false),
    mlp: "plain",
    mlpBias: true,
    activation: readActivation(r, "hidden_act", "gelu"),
    residual: r.boolean("use_parallel_residual", true) ? "parallel" : "sequential",
    postNorms: false,
    embeddingScale: 1,
    finalSoftcap: null,
    sharedClassifier: r.boolean("tie_word_embeddings", false),
  };
  r.finish();
  return config;
}

/**
 * Splits fused rows laid out [heads, 3, headSize] (q, k, v of head 0, then of
 * head 1, …) into q, k and v, each [heads · headSize] rows of `width`.
 */
export function splitPerHeadQkv(
  fused: Float32Array,
  heads: number,
  headSize: number,
  width: number,
): [Float32Array, Float32Array, Float32Array] {
  const parts = [0, 1, 2].map(() => new Float32Array(heads * headSize * width)) as [
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const block = headSize * width;
  for (let h = 0; h < heads; h++) {
    for (let which = 0; which < 3; which++) {
      const from = (h * 3 + which) * block;
      parts[which]!.set(fused.subarray(from, from + block), h * block);
    }
  }
  return parts;
}

export function readGptNeoxWeights(
  config: DecoderConfig,
  take: TakeTensor,
  has: (name: string) => boolean,
): DecoderWeights {
  const { dim, heads, headSize, mlpDim, vocabSize } = config;
  const norm = (name: string): NormWeights => ({
    weight: take(`${name}.weight`, [dim]),
    bias: take(`${name}.bias`, [dim]),
  });
  const layers: DecoderLayerWeights[] = [];
  for (let l = 0; l < config.layers; l++) {
    const p = `gpt_neox.layers.${l}.`;
    const [wq, wk, wv] = splitPerHeadQkv(
      take(`${p}attention.query_key_value.weight`, [3 * dim, dim]),
      heads,
      headSize,
      dim,
    );
    const biases = config.qkvBias
      ? splitPerHeadQkv(take(`${p}attention.query_key_value.bias`, [3 * dim]), heads, headSize, 1)
      : null;
    layers.push({
      ln1: norm(`${p}input_layernorm`),
      ln1Post: null,
      ln2: norm(`${p}post_attention_layernorm`),
      ln2Post: null,
      wq,
      wk,
      wv,
      bq: biases?.[0] ?? null,
      bk: biases?.[1] ?? null,
      bv: biases?.[2] ?? null,
      wo: take(`${p}attention.dense.weight`, [dim, dim]),
      bo: config.outBias ? take(`${p}attention.dense.bias`, [dim]) : null,
      wGate: null,
      wUp: take(`${p}mlp.dense_h_to_4h.weight`, [mlpDim, dim]),
      bUp: take(`${p}mlp.dense_h_to_4h.bias`, [mlpDim]),
      wDown: take(`${p}mlp.dense_4h_to_h.weight`, [dim, mlpDim]),
      bDown: take(`${p}mlp.dense_4h_to_h.bias`, [dim]),
    });
  }
  const tokenEmbedding = take("gpt_neox.embed_in.weight", [vocabSize, dim]);
  return {
    tokenEmbedding,
    positionEmbedding: null,
    layers,
    finalNorm: norm("gpt_neox.final_layer_norm"),
    classifier: readClassifier(config, take, has, tokenEmbedding, {
      embedding: "gpt_neox.embed_in.weight",
      head: "embed_out.weight",
    }),
  };
}

export const gptNeoxFamily: ModelFamily = {
  modelType: "gpt_neox",
  architectures: ["GPTNeoXForCausalLM"],
  parseConfig: parseGptNeoxConfig,
  readWeights: readGptNeoxWeights,
  // Causal-mask and rotary buffers that older Pythia checkpoints saved.
  buffers: [/^gpt_neox\.layers\.\d+\.attention\.(bias|masked_bias|rotary_emb\.inv_freq)$/],
};
