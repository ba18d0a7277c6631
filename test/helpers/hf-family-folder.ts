/**
 * Writes a tiny random-weight Hugging Face folder of one family: config.json
 * (a published config with its sizes shrunk) and model.safetensors under the
 * tensor names and [out, in] / Conv1D [in, out] shapes transformers saves.
 * The names are written out here, apart from the loaders, so a loader that
 * asks for the wrong name fails. Seeded: the same call writes the same bytes.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TensorEntry } from "../../src/io/safetensors.js";
import { writeSafetensors } from "../../src/io/safetensors.js";
import {
  GEMMA2_2B_CONFIG,
  GPT2_CONFIG,
  LLAMA_32_1B_CONFIG,
  PYTHIA_70M_CONFIG,
  QWEN25_05B_CONFIG,
} from "./published-configs.js";

export type FamilyName = "gpt2" | "gpt_neox" | "llama" | "qwen2" | "gemma2";

/** Published configs shrunk to d 16, 2 layers, vocab 40, context 24: the shape only, every other field kept. */
export const TINY_CONFIGS: Readonly<Record<FamilyName, Record<string, unknown>>> = {
  gpt2: { ...GPT2_CONFIG, n_embd: 16, n_head: 4, n_layer: 2, n_positions: 24, n_ctx: 24, vocab_size: 40 },
  gpt_neox: {
    ...PYTHIA_70M_CONFIG,
    hidden_size: 16,
    num_attention_heads: 2,
    num_hidden_layers: 2,
    intermediate_size: 64,
    max_position_embeddings: 24,
    vocab_size: 40,
  },
  llama: {
    ...LLAMA_32_1B_CONFIG,
    hidden_size: 16,
    head_dim: 4,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    num_hidden_layers: 2,
    intermediate_size: 24,
    max_position_embeddings: 24,
    vocab_size: 40,
    bos_token_id: 1,
    eos_token_id: 2,
  },
  qwen2: {
    ...QWEN25_05B_CONFIG,
    hidden_size: 16,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    num_hidden_layers: 2,
    intermediate_size: 24,
    max_position_embeddings: 24,
    max_window_layers: 2,
    sliding_window: 24,
    vocab_size: 40,
    bos_token_id: 1,
    eos_token_id: 2,
  },
  gemma2: {
    ...GEMMA2_2B_CONFIG,
    hidden_size: 16,
    head_dim: 8,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    num_hidden_layers: 2,
    intermediate_size: 24,
    max_position_embeddings: 24,
    query_pre_attn_scalar: 8,
    sliding_window: 3,
    vocab_size: 40,
  },
};

/** Deterministic values in [-scale, scale). */
function seeded(n: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}

/** HF tensor names and shapes of the family at `config`'s sizes. */
export function hfTensorShapes(
  family: FamilyName,
  config: Record<string, unknown>,
): Record<string, number[]> {
  const n = (k: string) => config[k] as number;
  const shapes: Record<string, number[]> = {};
  if (family === "gpt2") {
    const d = n("n_embd");
    shapes["wte.weight"] = [n("vocab_size"), d];
    shapes["wpe.weight"] = [n("n_positions"), d];
    for (let l = 0; l < n("n_layer"); l++) {
      const p = `h.${l}.`;
      Object.assign(shapes, {
        [`${p}ln_1.weight`]: [d],
        [`${p}ln_1.bias`]: [d],
        [`${p}attn.c_attn.weight`]: [d, 3 * d],
        [`${p}attn.c_attn.bias`]: [3 * d],
        [`${p}attn.c_proj.weight`]: [d, d],
        [`${p}attn.c_proj.bias`]: [d],
        [`${p}ln_2.weight`]: [d],
        [`${p}ln_2.bias`]: [d],
        [`${p}mlp.c_fc.weight`]: [d, 4 * d],
        [`${p}mlp.c_fc.bias`]: [4 * d],
        [`${p}mlp.c_proj.weight`]: [4 * d, d],
        [`${p}mlp.c_proj.bias`]: [d],
      });
    }
    shapes["ln_f.weight"] = [d];
    shapes["ln_f.bias"] = [d];
    return shapes;
  }
  if (family === "gpt_neox") {
    const d = n("hidden_size");
    const f = n("intermediate_size");
    shapes["gpt_neox.embed_in.weight"] = [n("vocab_size"), d];
    for (let l = 0; l < n("num_hidden_layers"); l++) {
      const p = `gpt_neox.layers.${l}.`;
      Object.assign(shapes, {
        [`${p}input_layernorm.weight`]: [d],
        [`${p}input_layernorm.bias`]: [d],
        [`${p}post_attention_layernorm.weight`]: [d],
        [`${p}post_attention_layernorm.bias`]: [d],
        [`${p}attention.query_key_value.weight`]: [3 * d, d],
        [`${p}attention.query_key_value.bias`]: [3 * d],
        [`${p}attention.dense.weight`]: [d, d],
        [`${p}attention.dense.bias`]: [d],
        [`${p}mlp.dense_h_to_4h.weight`]: [f, d],
        [`${p}mlp.dense_h_to_4h.bias`]: [f],
        [`${p}mlp.dense_4h_to_h.weight`]: [d, f],
        [`${p}mlp.dense_4h_to_h.bias`]: [d],
      });
    }
    shapes["gpt_neox.final_layer_norm.weight"] = [d];
    shapes["gpt_neox.final_layer_norm.bias"] = [d];
    shapes["embed_out.weight"] = [n("vocab_size"), d];
    return shapes;
  }
  const d = n("hidden_size");
  const heads = n("num_attention_heads");
  const hs = (config["head_dim"] as number | undefined) ?? d / heads;
  const kv = n("num_key_value_heads") * hs;
  const f = n("intermediate_size");
  shapes["model.embed_tokens.weight"] = [n("vocab_size"), d];
  for (let l = 0; l < n("num_hidden_layers"); l++) {
    const p = `model.layers.${l}.`;
    Object.assign(shapes, {
      [`${p}input_layernorm.weight`]: [d],
      [`${p}self_attn.q_proj.weight`]: [heads * hs, d],
      [`${p}self_attn.k_proj.weight`]: [kv, d],
      [`${p}self_attn.v_proj.weight`]: [kv, d],
      [`${p}self_attn.o_proj.weight`]: [d, heads * hs],
      [`${p}post_attention_layernorm.weight`]: [d],
      [`${p}mlp.gate_proj.weight`]: [f, d],
      [`${p}mlp.up_proj.weight`]: [f, d],
      [`${p}mlp.down_proj.weight`]: [d, f],
    });
    if (family === "qwen2") {
      shapes[`${p}self_attn.q_proj.bias`] = [heads * hs];
      shapes[`${p}self_attn.k_proj.bias`] = [kv];
      shapes[`${p}self_attn.v_proj.bias`] = [kv];
    }
    if (family === "gemma2") {
      shapes[`${p}pre_feedforward_layernorm.weight`] = [d];
      shapes[`${p}post_feedforward_layernorm.weight`] = [d];
    }
  }
  shapes["model.norm.weight"] = [d];
  if (config["tie_word_embeddings"] === false) shapes["lm_head.weight"] = [n("vocab_size"), d];
  return shapes;
}

/** Random tensors for the shapes: norm gains near 1 (0 for Gemma's 1 + w), everything else small. */
export function hfRandomTensors(
  family: FamilyName,
  config: Record<string, unknown>,
  seed = 1,
): Record<string, TensorEntry> {
  const tensors: Record<string, TensorEntry> = {};
  let k = 0;
  for (const [name, shape] of Object.entries(hfTensorShapes(family, config))) {
    const size = shape.reduce((a, b) => a * b, 1);
    const isGain = /(layernorm|ln_\d|ln_f|norm)\.weight$/.test(name);
    const data = seeded(size, seed * 1000 + ++k, isGain ? 0.1 : 0.3);
    if (isGain && family !== "gemma2") for (let i = 0; i < size; i++) data[i]! += 1;
    tensors[name] = { dtype: "F32", shape, data };
  }
  return tensors;
}

/** Writes the folder: config.json and model.safetensors (no tokenizer). Returns the tensors written. */
export async function writeHfFamilyFolder(
  folder: string,
  family: FamilyName,
  options: { config?: Record<string, unknown>; tensors?: Record<string, TensorEntry> } = {},
): Promise<Record<string, TensorEntry>> {
  const config = options.config ?? TINY_CONFIGS[family];
  const tensors = options.tensors ?? hfRandomTensors(family, config);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  await writeSafetensors(join(folder, "model.safetensors"), tensors, { format: "pt" });
  return tensors;
}
