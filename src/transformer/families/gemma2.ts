/**
 * Gemma 2 (transformers' Gemma2ForCausalLM): RMSNorm with (1 + w), norms
 * before and after each sublayer, GeGLU with tanh GELU, embeddings × √d
 * (a float32 tensor in transformers), attention and final logit soft-capping,
 * query_pre_attn_scalar^-½ as the attention scale, sliding-window attention on
 * the layers layer_types marks "sliding_attention" (by default the even ones,
 * as modeling_gemma2.py's `not bool(layer_idx % 2)`), head_dim independent of
 * hidden_size. Defaults are Gemma2Config's where its versions agree; the
 * fields whose default changed between versions must be written.
 */
import type { DecoderConfig } from "../decoder-config.js";
import { readActivation } from "./activation.js";
import { ConfigReader } from "./config-reader.js";
import type { ModelFamily } from "./family.js";
import { LLAMA_STYLE_BUFFERS, readLlamaStyleWeights } from "./llama-style-weights.js";
import { readRope } from "./rope-config.js";
import { checkKvHeads, checkRotaryDims } from "./shape-checks.js";

/** Read without a default: Gemma2Config's default differs between transformers v4 and v5. */
function required(r: ConfigReader, field: string, kind: "integer" | "number" = "integer"): number {
  if (!r.has(field)) {
    r.invalid(field, undefined, `a positive ${kind} (its default changed between transformers versions)`);
  }
  return kind === "integer" ? r.positiveInteger(field) : r.positiveNumber(field);
}

function readSlidingLayers(r: ConfigReader, layers: number, window: number | null): boolean[] {
  const value = r.raw("layer_types");
  if (value === undefined || value === null) {
    return Array.from({ length: layers }, (_, i) => window !== null && i % 2 === 0);
  }
  if (
    !Array.isArray(value) ||
    value.length !== layers ||
    !value.every((t) => t === "sliding_attention" || t === "full_attention")
  ) {
    r.invalid(
      "layer_types",
      value,
      `${layers} entries (num_hidden_layers), each "sliding_attention" or "full_attention"`,
    );
  }
  if (window === null && value.includes("sliding_attention")) {
    r.fail('field "layer_types" marks sliding layers but "sliding_window" is null; expected a window size');
  }
  return value.map((t) => t === "sliding_attention");
}

export function parseGemma2Config(json: Readonly<Record<string, unknown>>, source: string): DecoderConfig {
  const r = new ConfigReader(json, source, "gemma2");
  const dim = required(r, "hidden_size");
  const heads = required(r, "num_attention_heads");
  const kvHeads = required(r, "num_key_value_heads");
  checkKvHeads(r, heads, kvHeads, { heads: "num_attention_heads", kvHeads: "num_key_value_heads" });
  const headSize = r.positiveInteger("head_dim", 256);
  checkRotaryDims(r, headSize, "head_dim");
  const layers = required(r, "num_hidden_layers");
  const rope = readRope(r, { defaultTheta: 10000, thetaFields: ["rope_theta"], llama3: false });
  const slidingWindow = r.positiveIntegerOrNull("sliding_window") ?? (r.has("sliding_window") ? null : 4096);
  const attentionBias = r.boolean("attention_bias", false);
  r.expect(
    "use_bidirectional_attention",
    (v) => v === null || v === false,
    "null or false (cosae runs causal attention)",
  );
  r.inert(
    "initializer_range",
    "attention_dropout",
    // Gemma2MLP reads hidden_activation; hidden_act is a Gemma 1 leftover that the Gemma 2 code never reads.
    "hidden_act",
    // The kind of KV cache generate() builds.
    "cache_implementation",
  );
  const config: DecoderConfig = {
    family: "gemma2",
    dim,
    layers,
    heads,
    kvHeads,
    headSize,
    mlpDim: required(r, "intermediate_size"),
    vocabSize: r.positiveInteger("vocab_size", 256000),
    maxSeqLen: r.positiveInteger("max_position_embeddings", 8192),
    norm: { kind: "rms", eps: r.positiveNumber("rms_norm_eps", 1e-6), unitOffset: true },
    learnedPositions: false,
    rotary: { theta: rope.theta, dims: headSize, style: "half-split", scaling: null },
    qkvBias: attentionBias,
    outBias: attentionBias,
    attentionScale: required(r, "query_pre_attn_scalar", "number") ** -0.5,
    attentionSoftcap: r.positiveNumberOrNull("attn_logit_softcapping", 50),
    slidingWindow,
    slidingLayers: readSlidingLayers(r, layers, slidingWindow),
    mlp: "gated",
    mlpBias: false,
    activation: readActivation(r, "hidden_activation", "gelu_pytorch_tanh"),
    residual: "sequential",
    postNorms: true,
    // Gemma2Model: hidden_states * torch.tensor(hidden_size**0.5, dtype=hidden_states.dtype).
    embeddingScale: Math.fround(Math.sqrt(dim)),
    finalSoftcap: r.positiveNumberOrNull("final_logit_softcapping", 30),
    sharedClassifier: r.boolean("tie_word_embeddings", true),
  };
  r.finish();
  return config;
}

export const gemma2Family: ModelFamily = {
  modelType: "gemma2",
  architectures: ["Gemma2ForCausalLM"],
  parseConfig: parseGemma2Config,
  readWeights: readLlamaStyleWeights,
  buffers: LLAMA_STYLE_BUFFERS,
};
