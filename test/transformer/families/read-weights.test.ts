import assert from "node:assert/strict";
import { test } from "node:test";
import type { DecoderConfig } from "../../../src/transformer/decoder-config.js";
import { gemma2Family } from "../../../src/transformer/families/gemma2.js";
import { parseGptNeoxConfig, readGptNeoxWeights } from "../../../src/transformer/families/gpt-neox.js";
import { parseGpt2Config, readGpt2Weights } from "../../../src/transformer/families/gpt2.js";
import { qwen2Family } from "../../../src/transformer/families/qwen2.js";
import { WeightLayoutError } from "../../../src/transformer/families/weight-layout-error.js";
import {
  GEMMA2_2B_CONFIG,
  GPT2_CONFIG,
  PYTHIA_70M_CONFIG,
  QWEN25_05B_CONFIG,
} from "../../helpers/published-configs.js";

/** A `take` over named arrays: element i of every tensor is `code(name) + i`, so each element is recognisable. */
function tensorsFor(shapes: Record<string, number[]>): {
  take: (name: string, shape: readonly number[]) => Float32Array;
  has: (name: string) => boolean;
  values: Map<string, Float32Array>;
} {
  const values = new Map<string, Float32Array>();
  let code = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    code += 1000;
    const n = shape.reduce((a, b) => a * b, 1);
    values.set(
      name,
      Float32Array.from({ length: n }, (_, i) => code + i),
    );
  }
  return {
    take: (name, shape) => {
      assert.deepEqual(shape, shapes[name], `shape of ${name}`);
      const v = values.get(name);
      assert.ok(v, `tensor ${name} requested but not stored`);
      return v;
    },
    has: (name) => values.has(name),
    values,
  };
}

test("GPT-2: Conv1D weights [in, out] are transposed, and c_attn [d, 3d] splits into q, k, v by columns", () => {
  // d 4, 2 heads, inner 8, vocab 5, 3 positions, one layer, with the transformer. prefix.
  const config = parseGpt2Config(
    { ...GPT2_CONFIG, n_embd: 4, n_head: 2, n_layer: 1, n_positions: 3, vocab_size: 5, n_inner: 8 },
    "c",
  );
  const d = 4;
  const p = "transformer.h.0.";
  const { take, has, values } = tensorsFor({
    "transformer.wte.weight": [5, d],
    "transformer.wpe.weight": [3, d],
    [`${p}ln_1.weight`]: [d],
    [`${p}ln_1.bias`]: [d],
    [`${p}attn.c_attn.weight`]: [d, 3 * d],
    [`${p}attn.c_attn.bias`]: [3 * d],
    [`${p}attn.c_proj.weight`]: [d, d],
    [`${p}attn.c_proj.bias`]: [d],
    [`${p}ln_2.weight`]: [d],
    [`${p}ln_2.bias`]: [d],
    [`${p}mlp.c_fc.weight`]: [d, 8],
    [`${p}mlp.c_fc.bias`]: [8],
    [`${p}mlp.c_proj.weight`]: [8, d],
    [`${p}mlp.c_proj.bias`]: [d],
    "transformer.ln_f.weight": [d],
    "transformer.ln_f.bias": [d],
  });
  const w = readGpt2Weights(config, take, has);
  const cAttn = values.get(`${p}attn.c_attn.weight`)!;
  const layer = w.layers[0]!;
  // wq[o, i] = c_attn[i, o]; wk[o, i] = c_attn[i, d + o]; wv[o, i] = c_attn[i, 2d + o].
  for (let o = 0; o < d; o++) {
    for (let i = 0; i < d; i++) {
      assert.equal(layer.wq[o * d + i], cAttn[i * 3 * d + o]);
      assert.equal(layer.wk[o * d + i], cAttn[i * 3 * d + d + o]);
      assert.equal(layer.wv[o * d + i], cAttn[i * 3 * d + 2 * d + o]);
    }
  }
  const bias = values.get(`${p}attn.c_attn.bias`)!;
  assert.deepEqual(Array.from(layer.bk!), Array.from(bias.slice(d, 2 * d)));
  // c_fc [d, 8] → wUp [8, d]; mlp.c_proj [8, d] → wDown [d, 8].
  const cFc = values.get(`${p}mlp.c_fc.weight`)!;
  assert.equal(layer.wUp[5 * d + 3], cFc[3 * 8 + 5]);
  const down = values.get(`${p}mlp.c_proj.weight`)!;
  assert.equal(layer.wDown[2 * 8 + 7], down[7 * d + 2]);
  assert.equal(w.classifier, w.tokenEmbedding);
  assert.equal(w.positionEmbedding, values.get("transformer.wpe.weight"));
  assert.equal(layer.wGate, null);
});

test("GPT-2: names without the transformer. prefix (the original checkpoints) read the same", () => {
  const config = parseGpt2Config(
    { ...GPT2_CONFIG, n_embd: 2, n_head: 1, n_layer: 1, n_positions: 2, vocab_size: 3, n_inner: 2 },
    "c",
  );
  const shapes: Record<string, number[]> = {
    "wte.weight": [3, 2],
    "wpe.weight": [2, 2],
    "ln_f.weight": [2],
    "ln_f.bias": [2],
  };
  for (const [n, s] of [
    ["ln_1.weight", [2]],
    ["ln_1.bias", [2]],
    ["ln_2.weight", [2]],
    ["ln_2.bias", [2]],
    ["attn.c_attn.weight", [2, 6]],
    ["attn.c_attn.bias", [6]],
    ["attn.c_proj.weight", [2, 2]],
    ["attn.c_proj.bias", [2]],
    ["mlp.c_fc.weight", [2, 2]],
    ["mlp.c_fc.bias", [2]],
    ["mlp.c_proj.weight", [2, 2]],
    ["mlp.c_proj.bias", [2]],
  ] as const)
    shapes[`h.0.${n}`] = [...s];
  const { take, has, values } = tensorsFor(shapes);
  const w = readGpt2Weights(config, take, has);
  assert.equal(w.tokenEmbedding, values.get("wte.weight"));
});

test("GPT-NeoX: query_key_value rows [heads, 3, headSize] split per head into q, k, v (weights and biases)", () => {
  // d 8, 2 heads of 4, rotary_pct 0.5 → 2 rotated dims.
  const config = parseGptNeoxConfig(
    {
      ...PYTHIA_70M_CONFIG,
      hidden_size: 8,
      num_attention_heads: 2,
      num_hidden_layers: 1,
      intermediate_size: 16,
      vocab_size: 5,
      rotary_pct: 0.5,
    },
    "c",
  );
  assert.equal(config.rotary?.dims, 2);
  const d = 8;
  const hs = 4;
  const p = "gpt_neox.layers.0.";
  const { take, has, values } = tensorsFor({
    "gpt_neox.embed_in.weight": [5, d],
    [`${p}input_layernorm.weight`]: [d],
    [`${p}input_layernorm.bias`]: [d],
    [`${p}post_attention_layernorm.weight`]: [d],
    [`${p}post_attention_layernorm.bias`]: [d],
    [`${p}attention.query_key_value.weight`]: [3 * d, d],
    [`${p}attention.query_key_value.bias`]: [3 * d],
    [`${p}attention.dense.weight`]: [d, d],
    [`${p}attention.dense.bias`]: [d],
    [`${p}mlp.dense_h_to_4h.weight`]: [16, d],
    [`${p}mlp.dense_h_to_4h.bias`]: [16],
    [`${p}mlp.dense_4h_to_h.weight`]: [d, 16],
    [`${p}mlp.dense_4h_to_h.bias`]: [d],
    "gpt_neox.final_layer_norm.weight": [d],
    "gpt_neox.final_layer_norm.bias": [d],
    "embed_out.weight": [5, d],
  });
  const w = readGptNeoxWeights(config, take, has);
  const fused = values.get(`${p}attention.query_key_value.weight`)!;
  const fusedBias = values.get(`${p}attention.query_key_value.bias`)!;
  const layer = w.layers[0]!;
  // Fused row (h·3 + which)·hs + r holds row h·hs + r of q (which 0), k (1) or v (2).
  for (let h = 0; h < 2; h++) {
    for (let r = 0; r < hs; r++) {
      for (const [which, part, bias] of [
        [0, layer.wq, layer.bq],
        [1, layer.wk, layer.bk],
        [2, layer.wv, layer.bv],
      ] as const) {
        const from = (h * 3 + which) * hs + r;
        const to = h * hs + r;
        assert.deepEqual(
          Array.from(part.subarray(to * d, to * d + d)),
          Array.from(fused.subarray(from * d, from * d + d)),
        );
        assert.equal(bias![to], fusedBias[from]);
      }
    }
  }
  assert.equal(w.classifier, values.get("embed_out.weight"));
  assert.notEqual(w.classifier, w.tokenEmbedding);
  assert.deepEqual(w.finalNorm.bias, values.get("gpt_neox.final_layer_norm.bias"));
});

function llamaStyleShapes(
  config: DecoderConfig,
  extra: (p: string) => Record<string, number[]>,
): Record<string, number[]> {
  const { dim, heads, kvHeads, headSize, mlpDim, vocabSize } = config;
  const shapes: Record<string, number[]> = {
    "model.embed_tokens.weight": [vocabSize, dim],
    "model.norm.weight": [dim],
  };
  for (let l = 0; l < config.layers; l++) {
    const p = `model.layers.${l}.`;
    Object.assign(shapes, {
      [`${p}input_layernorm.weight`]: [dim],
      [`${p}post_attention_layernorm.weight`]: [dim],
      [`${p}self_attn.q_proj.weight`]: [heads * headSize, dim],
      [`${p}self_attn.k_proj.weight`]: [kvHeads * headSize, dim],
      [`${p}self_attn.v_proj.weight`]: [kvHeads * headSize, dim],
      [`${p}self_attn.o_proj.weight`]: [dim, heads * headSize],
      [`${p}mlp.gate_proj.weight`]: [mlpDim, dim],
      [`${p}mlp.up_proj.weight`]: [mlpDim, dim],
      [`${p}mlp.down_proj.weight`]: [dim, mlpDim],
      ...extra(p),
    });
  }
  return shapes;
}

test("Gemma 2: input / post_attention / pre_feedforward / post_feedforward layernorms are ln1 / ln1Post / ln2 / ln2Post; head_dim ≠ d / heads", () => {
  const config = gemma2Family.parseConfig(
    {
      ...GEMMA2_2B_CONFIG,
      hidden_size: 6,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      head_dim: 4,
      num_hidden_layers: 2,
      intermediate_size: 10,
      vocab_size: 7,
    },
    "c",
  );
  const { take, has, values } = tensorsFor(
    llamaStyleShapes(config, (p) => ({
      [`${p}pre_feedforward_layernorm.weight`]: [6],
      [`${p}post_feedforward_layernorm.weight`]: [6],
    })),
  );
  const w = gemma2Family.readWeights(config, take, has);
  const l1 = w.layers[1]!;
  assert.equal(l1.ln1.weight, values.get("model.layers.1.input_layernorm.weight"));
  assert.equal(l1.ln1Post?.weight, values.get("model.layers.1.post_attention_layernorm.weight"));
  assert.equal(l1.ln2.weight, values.get("model.layers.1.pre_feedforward_layernorm.weight"));
  assert.equal(l1.ln2Post?.weight, values.get("model.layers.1.post_feedforward_layernorm.weight"));
  assert.equal(l1.wo.length, 6 * 8);
  assert.equal(w.classifier, w.tokenEmbedding);
});

test("Qwen 2: q/k/v biases are read, o_proj has none; a stored tied head must equal the embedding", () => {
  const config = qwen2Family.parseConfig(
    {
      ...QWEN25_05B_CONFIG,
      hidden_size: 8,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      num_hidden_layers: 1,
      intermediate_size: 12,
      vocab_size: 9,
    },
    "c",
  );
  const shapes = llamaStyleShapes(config, (p) => ({
    [`${p}self_attn.q_proj.bias`]: [8],
    [`${p}self_attn.k_proj.bias`]: [4],
    [`${p}self_attn.v_proj.bias`]: [4],
  }));
  const { take, has, values } = tensorsFor(shapes);
  const w = qwen2Family.readWeights(config, take, has);
  assert.equal(w.layers[0]!.bk, values.get("model.layers.0.self_attn.k_proj.bias"));
  assert.equal(w.layers[0]!.bo, null);
  // An lm_head stored beside a tied embedding: accepted when equal, refused when not.
  const withHead = tensorsFor({ ...shapes, "lm_head.weight": [9, 8] });
  withHead.values.set("lm_head.weight", withHead.values.get("model.embed_tokens.weight")!.slice());
  assert.equal(qwen2Family.readWeights(config, withHead.take, withHead.has).classifier.length, 72);
  withHead.values.get("lm_head.weight")![10] = 0;
  assert.throws(
    () => qwen2Family.readWeights(config, withHead.take, withHead.has),
    (err: Error) =>
      err instanceof WeightLayoutError &&
      /tensor "lm_head\.weight" differs from "model\.embed_tokens\.weight" at index 10 .*tie_word_embeddings true/.test(
        err.message,
      ),
  );
  // Untied: lm_head is the classifier.
  const untied = qwen2Family.parseConfig(
    {
      ...QWEN25_05B_CONFIG,
      hidden_size: 8,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      num_hidden_layers: 1,
      intermediate_size: 12,
      vocab_size: 9,
      tie_word_embeddings: false,
    },
    "c",
  );
  const u = tensorsFor({ ...shapes, "lm_head.weight": [9, 8] });
  assert.equal(qwen2Family.readWeights(untied, u.take, u.has).classifier, u.values.get("lm_head.weight"));
});
