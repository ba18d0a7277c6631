/**
 * Qwen 2 / 2.5 (transformers' Qwen2ForCausalLM): Llama's layout with biases on
 * q, k and v (none on o_proj), tied or untied head. Sliding-window attention
 * (use_sliding_window true) is refused. Defaults are Qwen2Config's.
 */
import type { DecoderConfig } from "../decoder-config.js";
import { readActivation } from "./activation.js";
import { ConfigReader } from "./config-reader.js";
import type { ModelFamily } from "./family.js";
import { readLlamaAttention } from "./llama.js";
import { LLAMA_STYLE_BUFFERS, readLlamaStyleWeights } from "./llama-style-weights.js";
import { readRope } from "./rope-config.js";

export function parseQwen2Config(json: Readonly<Record<string, unknown>>, source: string): DecoderConfig {
  const r = new ConfigReader(json, source, "qwen2");
  // Qwen2Config's num_key_value_heads defaults to 32 (None means as many as the query heads).
  const { dim, heads, kvHeads, headSize } = readLlamaAttention(r, { kvHeads: 32 });
  const rope = readRope(r, { defaultTheta: 10000, thetaFields: ["rope_theta"], llama3: true });
  r.expect(
    "use_sliding_window",
    (v) => v === false,
    "false (Qwen 2's sliding-window attention is not implemented)",
  );
  // Without use_sliding_window transformers sets sliding_window to None: these two then do nothing.
  r.inert("sliding_window", "max_window_layers");
  r.expect(
    "layer_types",
    (v) => Array.isArray(v) && v.every((t) => t === "full_attention"),
    'every layer "full_attention"',
  );
  // Written by Qwen2-VL tooling into some Qwen 2 configs; only false is plain Qwen 2.
  r.expect("use_mrope", (v) => v === false, "false (multimodal rotary embedding is not implemented)");
  r.inert("initializer_range", "attention_dropout");
  const layers = r.positiveInteger("num_hidden_layers", 32);
  const config: DecoderConfig = {
    family: "qwen2",
    dim,
    layers,
    heads,
    kvHeads,
    headSize,
    mlpDim: r.positiveInteger("intermediate_size", 22016),
    vocabSize: r.positiveInteger("vocab_size", 151936),
    maxSeqLen: r.positiveInteger("max_position_embeddings", 32768),
    norm: { kind: "rms", eps: r.positiveNumber("rms_norm_eps", 1e-6), unitOffset: false },
    learnedPositions: false,
    rotary: { theta: rope.theta, dims: headSize, style: "half-split", scaling: rope.scaling },
    qkvBias: true,
    outBias: false,
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

export const qwen2Family: ModelFamily = {
  modelType: "qwen2",
  architectures: ["Qwen2ForCausalLM"],
  parseConfig: parseQwen2Config,
  readWeights: readLlamaStyleWeights,
  buffers: LLAMA_STYLE_BUFFERS,
};
