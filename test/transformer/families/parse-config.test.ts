import assert from "node:assert/strict";
import { test } from "node:test";
import { parseFamilyConfig, supportedModelTypes } from "../../../src/transformer/families/registry.js";
import { ModelFormatError } from "../../../src/transformer/model-format-error.js";
import {
  GEMMA2_2B_CONFIG,
  GPT2_CONFIG,
  LLAMA_2_7B_CONFIG,
  LLAMA_31_8B_CONFIG,
  LLAMA_32_1B_CONFIG,
  PYTHIA_70M_CONFIG,
  QWEN25_05B_CONFIG,
} from "../../helpers/published-configs.js";

const SOURCE = "/models/x/config.json";
const parse = (json: object) => parseFamilyConfig(JSON.parse(JSON.stringify(json)), SOURCE).config;

/** Asserts that parsing `json` throws a ModelFormatError naming the file and matching `pattern`. */
function refuses(json: object, pattern: RegExp): void {
  assert.throws(
    () => parse(json),
    (err: Error) => {
      assert.ok(err instanceof ModelFormatError, String(err));
      assert.ok(err.message.startsWith(`${SOURCE}: `), err.message);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

test("gpt2's published config.json maps onto LayerNorm, learned positions, gelu_new and a tied head", () => {
  const c = parse(GPT2_CONFIG);
  assert.equal(c.family, "gpt2");
  assert.deepEqual(
    [c.dim, c.layers, c.heads, c.kvHeads, c.headSize, c.mlpDim, c.vocabSize, c.maxSeqLen],
    [768, 12, 12, 12, 64, 3072, 50257, 1024],
  );
  assert.deepEqual(c.norm, { kind: "layer", eps: 1e-5, unitOffset: false });
  assert.equal(c.learnedPositions, true);
  assert.equal(c.rotary, null);
  assert.equal(c.activation, "gelu-tanh");
  assert.equal(c.mlp, "plain");
  assert.ok(c.qkvBias && c.outBias && c.mlpBias);
  assert.equal(c.attentionScale, 1 / 8);
  assert.equal(c.sharedClassifier, true);
  assert.equal(c.residual, "sequential");
  assert.equal(parse({ ...GPT2_CONFIG, scale_attn_weights: false }).attentionScale, 1);
  assert.equal(parse({ ...GPT2_CONFIG, n_inner: 100 }).mlpDim, 100);
  assert.equal(parse({ ...GPT2_CONFIG, activation_function: "gelu" }).activation, "gelu-erf");
});

test("pythia-70m's config.json maps onto parallel residual, partial rotary and exact GELU", () => {
  const c = parse(PYTHIA_70M_CONFIG);
  assert.equal(c.family, "gpt_neox");
  assert.deepEqual(
    [c.dim, c.layers, c.heads, c.headSize, c.mlpDim, c.vocabSize],
    [512, 6, 8, 64, 2048, 50304],
  );
  assert.deepEqual(c.rotary, { theta: 10000, dims: 16, style: "half-split", scaling: null });
  assert.equal(c.residual, "parallel");
  assert.equal(c.activation, "gelu-erf");
  assert.deepEqual(c.norm, { kind: "layer", eps: 1e-5, unitOffset: false });
  assert.equal(c.sharedClassifier, false);
  assert.ok(c.qkvBias && c.outBias && c.mlpBias);
  assert.equal(parse({ ...PYTHIA_70M_CONFIG, use_parallel_residual: false }).residual, "sequential");
  // v5 writes rope_parameters with partial_rotary_factor instead of rotary_pct / rotary_emb_base.
  const { rotary_pct: _p, rotary_emb_base: _b, ...v5 } = PYTHIA_70M_CONFIG;
  const c5 = parse({
    ...v5,
    rope_parameters: { rope_type: "default", rope_theta: 20000, partial_rotary_factor: 0.5 },
  });
  assert.deepEqual(c5.rotary, { theta: 20000, dims: 32, style: "half-split", scaling: null });
  // transformers 4.45–4.5x write copies of rotary_pct and rotary_emb_base; they must agree.
  const c45 = parse({ ...PYTHIA_70M_CONFIG, partial_rotary_factor: 0.25, rope_theta: 10000 });
  assert.deepEqual(c45.rotary, c.rotary);
  refuses(
    { ...PYTHIA_70M_CONFIG, partial_rotary_factor: 0.5 },
    /fields "rotary_pct" 0\.25 and "partial_rotary_factor" 0\.5 differ/,
  );
  refuses(
    { ...PYTHIA_70M_CONFIG, rope_theta: 500 },
    /fields "rotary_emb_base" 10000 and "rope_theta" 500 differ/,
  );
  refuses(
    { ...PYTHIA_70M_CONFIG, rotary_pct: 0.3 },
    /the rotated width of each head, int\(64 · rotary_pct 0\.3\) = 19, is not a positive even number/,
  );
  refuses(
    { ...PYTHIA_70M_CONFIG, rope_scaling: { type: "linear", factor: 2 } },
    /field "rope_scaling" \{"type":"linear","factor":2\} is not supported; expected null or rope_type "default"/,
  );
});

test("gemma-2-2b's config.json maps onto (1 + w) RMSNorm, post-norms, GeGLU, √d, soft-capping and alternating windows", () => {
  const c = parse(GEMMA2_2B_CONFIG);
  assert.equal(c.family, "gemma2");
  assert.deepEqual([c.dim, c.layers, c.heads, c.kvHeads, c.headSize, c.mlpDim], [2304, 26, 8, 4, 256, 9216]);
  assert.deepEqual(c.norm, { kind: "rms", eps: 1e-6, unitOffset: true });
  assert.equal(c.postNorms, true);
  assert.equal(c.mlp, "gated");
  assert.equal(c.activation, "gelu-tanh");
  assert.equal(c.embeddingScale, Math.fround(Math.sqrt(2304)));
  assert.equal(c.embeddingScale, 48);
  assert.equal(c.attentionScale, 1 / 16);
  assert.equal(c.attentionSoftcap, 50);
  assert.equal(c.finalSoftcap, 30);
  assert.equal(c.slidingWindow, 4096);
  assert.equal(c.slidingLayers.length, 26);
  assert.deepEqual(c.slidingLayers.slice(0, 4), [true, false, true, false]);
  assert.equal(c.sharedClassifier, true);
  assert.equal(c.qkvBias || c.outBias, false);
  // √2304 is whole; √2048 is not, and transformers rounds it to float32.
  assert.equal(
    parse({ ...GEMMA2_2B_CONFIG, hidden_size: 2048 }).embeddingScale,
    Math.fround(Math.sqrt(2048)),
  );
  assert.notEqual(Math.fround(Math.sqrt(2048)), Math.sqrt(2048));
  // query_pre_attn_scalar need not be head_dim (Gemma 2 27B: 144 with head_dim 128).
  assert.equal(parse({ ...GEMMA2_2B_CONFIG, query_pre_attn_scalar: 144 }).attentionScale, 144 ** -0.5);
  const types = Array.from({ length: 26 }, (_, i) => (i % 3 === 0 ? "full_attention" : "sliding_attention"));
  assert.deepEqual(parse({ ...GEMMA2_2B_CONFIG, layer_types: types }).slidingLayers.slice(0, 4), [
    false,
    true,
    true,
    false,
  ]);
  const none = parse({ ...GEMMA2_2B_CONFIG, final_logit_softcapping: null, attn_logit_softcapping: null });
  assert.equal(none.finalSoftcap, null);
  assert.equal(none.attentionSoftcap, null);
  refuses(
    { ...GEMMA2_2B_CONFIG, query_pre_attn_scalar: undefined },
    /field "query_pre_attn_scalar" is missing/,
  );
  refuses(
    { ...GEMMA2_2B_CONFIG, layer_types: ["full_attention"] },
    /field "layer_types" .*expected 26 entries/,
  );
  refuses(
    { ...GEMMA2_2B_CONFIG, use_bidirectional_attention: true },
    /"use_bidirectional_attention" true is not supported/,
  );
});

test("Llama 3.2-1B's config.json maps onto GQA, head_dim, rope_theta, llama3 scaling and a tied head", () => {
  const c = parse(LLAMA_32_1B_CONFIG);
  assert.equal(c.family, "llama");
  assert.deepEqual([c.dim, c.layers, c.heads, c.kvHeads, c.headSize, c.mlpDim], [2048, 16, 32, 8, 64, 8192]);
  assert.deepEqual(c.rotary, {
    theta: 500000,
    dims: 64,
    style: "half-split",
    scaling: { kind: "llama3", factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 },
  });
  assert.deepEqual(c.norm, { kind: "rms", eps: 1e-5, unitOffset: false });
  assert.equal(c.sharedClassifier, true);
  assert.equal(c.activation, "silu");
  assert.equal(c.qkvBias || c.outBias, false);
  const c31 = parse(LLAMA_31_8B_CONFIG);
  assert.equal(c31.sharedClassifier, false);
  assert.equal(c31.headSize, 128);
  assert.equal(c31.rotary?.scaling?.factor, 8);
  // The legacy key "type" names the rope type too; v5's rope_parameters holds theta and scaling together.
  const { rope_type: _t, ...legacy } = LLAMA_32_1B_CONFIG.rope_scaling;
  assert.deepEqual(
    parse({ ...LLAMA_32_1B_CONFIG, rope_scaling: { ...legacy, type: "llama3" } }).rotary,
    c.rotary,
  );
  const { rope_scaling: _s, rope_theta: _th, ...bare } = LLAMA_32_1B_CONFIG;
  assert.deepEqual(
    parse({ ...bare, rope_parameters: { ...LLAMA_32_1B_CONFIG.rope_scaling, rope_theta: 500000 } }).rotary,
    c.rotary,
  );
  // head_dim may differ from hidden_size / heads.
  assert.equal(parse({ ...LLAMA_32_1B_CONFIG, head_dim: 128 }).headSize, 128);
  assert.equal(parse({ ...LLAMA_32_1B_CONFIG, attention_bias: true }).outBias, true);
});

test("Llama 2's config.json: full multi-head attention, untied head, no scaling", () => {
  const c = parse(LLAMA_2_7B_CONFIG);
  assert.deepEqual([c.heads, c.kvHeads, c.headSize, c.maxSeqLen], [32, 32, 128, 4096]);
  assert.deepEqual(c.rotary, { theta: 10000, dims: 128, style: "half-split", scaling: null });
  assert.equal(c.sharedClassifier, false);
  // num_key_value_heads None means as many as the query heads.
  assert.equal(parse({ ...LLAMA_2_7B_CONFIG, num_key_value_heads: null }).kvHeads, 32);
});

test("Qwen2.5-0.5B's config.json maps onto q/k/v biases without an o_proj bias, GQA and a tied head", () => {
  const c = parse(QWEN25_05B_CONFIG);
  assert.equal(c.family, "qwen2");
  assert.deepEqual([c.dim, c.layers, c.heads, c.kvHeads, c.headSize, c.mlpDim], [896, 24, 14, 2, 64, 4864]);
  assert.equal(c.qkvBias, true);
  assert.equal(c.outBias, false);
  assert.equal(c.rotary?.theta, 1e6);
  assert.equal(c.sharedClassifier, true);
  assert.equal(c.slidingWindow, null);
  refuses(
    { ...QWEN25_05B_CONFIG, use_sliding_window: true },
    /field "use_sliding_window" true is not supported; expected false/,
  );
  refuses({ ...QWEN25_05B_CONFIG, use_mrope: true }, /field "use_mrope" true is not supported/);
});

test("rope types other than llama3 are refused by name", () => {
  for (const type of ["yarn", "dynamic", "linear", "longrope"]) {
    refuses(
      { ...LLAMA_32_1B_CONFIG, rope_scaling: { rope_type: type, factor: 4 } },
      new RegExp(
        `field "rope_scaling" \\{"rope_type":"${type}","factor":4\\} is not supported; expected null or rope_type "llama3"`,
      ),
    );
  }
  refuses(
    {
      ...QWEN25_05B_CONFIG,
      rope_scaling: { type: "yarn", factor: 4, original_max_position_embeddings: 32768 },
    },
    /field "rope_scaling" .*"yarn".* is not supported/,
  );
  refuses(
    { ...LLAMA_32_1B_CONFIG, rope_scaling: { rope_type: "llama3", factor: 8 } },
    /field "rope_scaling.low_freq_factor" is missing; expected a positive number/,
  );
  refuses(
    { ...LLAMA_32_1B_CONFIG, rope_scaling: { ...LLAMA_32_1B_CONFIG.rope_scaling, attention_factor: 2 } },
    /without "attention_factor"/,
  );
});

test("a field cosae does not know is refused by name, for every family", () => {
  for (const config of [
    GPT2_CONFIG,
    PYTHIA_70M_CONFIG,
    GEMMA2_2B_CONFIG,
    LLAMA_32_1B_CONFIG,
    QWEN25_05B_CONFIG,
  ]) {
    refuses(
      { ...config, attn_temperature_tuning: 4 },
      new RegExp(
        `field "attn_temperature_tuning" \\(4\\) is not known to cosae for model_type "${config.model_type}"; ` +
          "cosae refuses a field it does not know rather than ignore it",
      ),
    );
  }
});

test("fields whose value cosae does not implement are refused, naming field and value", () => {
  const cases: [object, RegExp][] = [
    [
      { ...GPT2_CONFIG, scale_attn_by_inverse_layer_idx: true },
      /"scale_attn_by_inverse_layer_idx" true is not supported/,
    ],
    [
      { ...GPT2_CONFIG, activation_function: "relu" },
      /field "activation_function" "relu" is not supported; expected one of "silu"/,
    ],
    [{ ...GPT2_CONFIG, add_cross_attention: true }, /"add_cross_attention" true is not supported/],
    [{ ...LLAMA_2_7B_CONFIG, mlp_bias: true }, /"mlp_bias" true is not supported/],
    [
      { ...LLAMA_2_7B_CONFIG, quantization_config: { quant_method: "gptq" } },
      /"quantization_config" .* is not supported/,
    ],
    [
      { ...LLAMA_2_7B_CONFIG, auto_map: { AutoModel: "x.Model" } },
      /"auto_map" .* is not supported; expected no custom code/,
    ],
    [{ ...LLAMA_2_7B_CONFIG, pruned_heads: { "0": [1] } }, /"pruned_heads" .* is not supported/],
    [
      { ...LLAMA_2_7B_CONFIG, num_key_value_heads: 3 },
      /field "num_key_value_heads" 3 does not divide "num_attention_heads" 32/,
    ],
    [
      { ...LLAMA_2_7B_CONFIG, hidden_size: "64" },
      /field "hidden_size" is "64" \(a string\); expected a positive integer/,
    ],
    [
      { ...LLAMA_2_7B_CONFIG, tie_word_embeddings: "true" },
      /field "tie_word_embeddings" is "true" \(a string\); expected true or false/,
    ],
    [
      { ...GPT2_CONFIG, architectures: ["GPT2ForSequenceClassification"] },
      /field "architectures" \["GPT2ForSequenceClassification"\] is not supported; expected \["GPT2LMHeadModel"\]/,
    ],
  ];
  for (const [json, pattern] of cases) refuses(json, pattern);
});

test("an unknown or missing model_type is refused, listing the supported ones", () => {
  const supported = supportedModelTypes();
  assert.deepEqual([...supported].sort(), ["gemma2", "gpt2", "gpt_neox", "llama", "qwen2"]);
  refuses(
    { ...LLAMA_2_7B_CONFIG, model_type: "mistral" },
    /field "model_type" is "mistral"; cosae runs "gpt2", "gpt_neox", "llama", "qwen2", "gemma2"/,
  );
  refuses({ ...LLAMA_2_7B_CONFIG, model_type: undefined }, /field "model_type" is missing; cosae runs/);
});

test("configs as transformers v5 writes them (rope_parameters, layer_types, dtype) parse to the same DecoderConfig", () => {
  const { rope_theta: _g, torch_dtype: _gd, hidden_act: _ga, ...gemma } = GEMMA2_2B_CONFIG;
  const layerTypes = Array.from({ length: 26 }, (_, i) =>
    i % 2 === 0 ? "sliding_attention" : "full_attention",
  );
  assert.deepEqual(
    parse({
      ...gemma,
      dtype: "float32",
      rope_parameters: { rope_type: "default", rope_theta: 10000 },
      layer_types: layerTypes,
      use_bidirectional_attention: null,
    }),
    parse(GEMMA2_2B_CONFIG),
  );
  const { rope_theta: _q, torch_dtype: _qd, ...qwen } = QWEN25_05B_CONFIG;
  assert.deepEqual(
    parse({
      ...qwen,
      dtype: "bfloat16",
      rope_parameters: { rope_type: "default", rope_theta: 1e6 },
      layer_types: Array.from({ length: 24 }, () => "full_attention"),
    }),
    parse(QWEN25_05B_CONFIG),
  );
  refuses(
    { ...QWEN25_05B_CONFIG, layer_types: Array.from({ length: 24 }, () => "sliding_attention") },
    /field "layer_types" .* is not supported; expected every layer "full_attention"/,
  );
});
