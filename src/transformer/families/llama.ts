/**
 * Llama 2 and Llama 3 / 3.1 / 3.2 (transformers' LlamaForCausalLM): RMSNorm,
 * rotate_half RoPE with rope_theta and optional "llama3" scaling, grouped-query
 * attention, SwiGLU, tied or untied head, head_dim possibly ≠ hidden/heads.
 * Defaults are LlamaConfig's.
 */
import type { DecoderConfig } from "../decoder-config.js";
import { readActivation } from "./activation.js";
import { ConfigReader } from "./config-reader.js";
import type { ModelFamily } from "./family.js";
import { LLAMA_STYLE_BUFFERS, readLlamaStyleWeights } from "./llama-style-weights.js";
import { readRope } from "./rope-config.js";
import { checkDivides, checkKvHeads, checkRotaryDims } from "./shape-checks.js";

/** The attention and MLP fields Llama-like configs share (LlamaConfig's, also Qwen2Config's). */
export function readLlamaAttention(
  r: ConfigReader,
  defaults: { readonly kvHeads: number | null },
): { dim: number; heads: number; kvHeads: number; headSize: number } {
  const dim = r.positiveInteger("hidden_size", 4096);
  const heads = r.positiveInteger("num_attention_heads", 32);
  // None (null or absent) means as many key/value heads as query heads.
  const kvHeadsValue = r.positiveIntegerOrNull("num_key_value_heads");
  const kvHeads = kvHeadsValue ?? (r.has("num_key_value_heads") ? null : defaults.kvHeads) ?? heads;
  checkKvHeads(r, heads, kvHeads, { heads: "num_attention_heads", kvHeads: "num_key_value_heads" });
  const headDim = r.positiveIntegerOrNull("head_dim");
  const headSize =
    headDim ?? checkDivides(r, dim, heads, { dim: "hidden_size", heads: "num_attention_heads" });
  checkRotaryDims(r, headSize, headDim === null ? "hidden_size / num_attention_heads" : "head_dim");
  return { dim, heads, kvHeads, headSize };
}

export function parseLlamaConfig(json: Readonly<Record<string, unknown>>, source: string): DecoderConfig {
  const r = new ConfigReader(json, source, "llama");
  const { dim, heads, kvHeads, headSize } = readLlamaAttention(r, { kvHeads: null });
  const rope = readRope(r, { defaultTheta: 10000, thetaFields: ["rope_theta"], llama3: true });
  // LlamaAttention gives q, k, v and o a bias together when attention_bias is true.
  const attentionBias = r.boolean("attention_bias", false);
  r.expect("mlp_bias", (v) => v === false, "false (MLP biases in a gated MLP are not implemented)");
  // pretraining_tp > 1 only slices the same products and sums them: the result is the same.
  r.expect("pretraining_tp", (v) => Number.isSafeInteger(v) && (v as number) >= 1, "a positive integer");
  r.inert("initializer_range", "attention_dropout");
  const layers = r.positiveInteger("num_hidden_layers", 32);
  const config: DecoderConfig = {
    family: "llama",
    dim,
    layers,
    heads,
    kvHeads,
    headSize,
    mlpDim: r.positiveInteger("intermediate_size", 11008),
    vocabSize: r.positiveInteger("vocab_size", 32000),
    maxSeqLen: r.positiveInteger("max_position_embeddings", 2048),
    norm: { kind: "rms", eps: r.positiveNumber("rms_norm_eps", 1e-6), unitOffset: false },
    learnedPositions: false,
    rotary: { theta: rope.theta, dims: headSize, style: "half-split", scaling: rope.scaling },
    qkvBias: attentionBias,
    outBias: attentionBias,
    attentionScale: 1 / Math.sqrt(headSize),
    attentionSoftcap: null,
    slidingWindow: null,
    slidingLayers: new Array<boolean>(layers).fill(false),
    mlp: "gated",
    mlpBias: false,
    activation: readActivation(r, "hidden_act", "silu"),
    residual: "sequential",
    postNorms: false,
    embeddingScale: 1,
    finalSoftcap: null,
    sharedClassifier: r.boolean("tie_word_embeddings", false),
  };
  r.finish();
  return config;
}

export const llamaFamily: ModelFamily = {
  modelType: "llama",
  architectures: ["LlamaForCausalLM"],
  parseConfig: parseLlamaConfig,
  readWeights: readLlamaStyleWeights,
  buffers: LLAMA_STYLE_BUFFERS,
};
