/**
 * Writes a model as a genuine Hugging Face Llama folder: config.json as
 * transformers writes it for LlamaForCausalLM, safetensors with HF tensor
 * names (one file, or shards with model.safetensors.index.json), and — for a
 * llama2.c tokenizer — a Llama-2 style tokenizer.json. Rows of q_proj and
 * k_proj are permuted as HF's convert_llama_weights_to_hf.py does, so HF's
 * rotate_half RoPE computes what llama2.c's adjacent-pair RoPE computed.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { f32ToBf16, f32ToF16 } from "../../src/io/half.js";
import { type TensorEntry, writeSafetensors } from "../../src/io/safetensors.js";
import type { DecoderModel } from "../../src/transformer/decoder.js";
import type { DecoderConfig } from "../../src/transformer/decoder-config.js";
import { METASPACE } from "../../src/transformer/hf-tokenizer.js";
import { ModelFormatError } from "../../src/transformer/model-format-error.js";
import { SentencePieceTokenizer } from "../../src/transformer/sentencepiece-tokenizer.js";

export interface HfExportOptions {
  /** Stored dtype of every tensor. Default F32. */
  readonly dtype?: "F32" | "F16" | "BF16";
  /** Number of safetensors shards; above 1 writes model-0000i-of-0000n.safetensors plus the index. Default 1. */
  readonly shards?: number;
}

/**
 * Rows of a q or k projection reordered from adjacent-pair to half-split RoPE:
 * within each head, new row (half, i) is old row (i, half) — HF's
 * `w.view(heads, headSize/2, 2, in).transpose(1, 2)`.
 */
export function permuteForRotateHalf(
  w: Float32Array,
  heads: number,
  headSize: number,
  width: number,
): Float32Array {
  const out = new Float32Array(w.length);
  const pairs = headSize / 2;
  for (let h = 0; h < heads; h++) {
    for (let half = 0; half < 2; half++) {
      for (let i = 0; i < pairs; i++) {
        const from = (h * headSize + 2 * i + half) * width;
        const to = (h * headSize + half * pairs + i) * width;
        out.set(w.subarray(from, from + width), to);
      }
    }
  }
  return out;
}

/** config.json for LlamaForCausalLM, with the fields and defaults transformers writes. */
export function hfLlamaConfigJson(
  config: DecoderConfig,
  bosId: number,
  eosId: number,
  dtype: string,
): object {
  return {
    architectures: ["LlamaForCausalLM"],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: bosId,
    eos_token_id: eosId,
    head_dim: config.headSize,
    hidden_act: "silu",
    hidden_size: config.dim,
    initializer_range: 0.02,
    intermediate_size: config.mlpDim,
    max_position_embeddings: config.maxSeqLen,
    mlp_bias: false,
    model_type: "llama",
    num_attention_heads: config.heads,
    num_hidden_layers: config.layers,
    num_key_value_heads: config.kvHeads,
    pretraining_tp: 1,
    rms_norm_eps: config.norm.eps,
    rope_scaling: null,
    rope_theta: config.rotary?.theta,
    tie_word_embeddings: config.sharedClassifier,
    torch_dtype: { F32: "float32", F16: "float16", BF16: "bfloat16" }[dtype],
    transformers_version: "4.44.2",
    use_cache: true,
    vocab_size: config.vocabSize,
  };
}

function entry(values: Float32Array, shape: number[], dtype: "F32" | "F16" | "BF16"): TensorEntry {
  if (dtype === "F32") return { dtype, shape, data: values };
  return { dtype, shape, data: dtype === "F16" ? f32ToF16(values) : f32ToBf16(values) };
}

/** The model's tensors under their HF names, q/k permuted for rotate_half when needed. */
export function hfLlamaTensors(
  model: DecoderModel,
  dtype: "F32" | "F16" | "BF16" = "F32",
): Record<string, TensorEntry> {
  const { config, weights } = model;
  const { dim, mlpDim: hiddenDim, vocabSize, heads, kvHeads } = config;
  const hs = config.headSize;
  const kv = kvHeads * hs;
  const rotate = (w: Float32Array, n: number): Float32Array =>
    config.rotary?.style === "adjacent-pairs" ? permuteForRotateHalf(w, n, hs, dim) : w;
  const tensors: Record<string, TensorEntry> = {};
  tensors["model.embed_tokens.weight"] = entry(weights.tokenEmbedding, [vocabSize, dim], dtype);
  weights.layers.forEach((w, l) => {
    const p = `model.layers.${l}.`;
    tensors[`${p}input_layernorm.weight`] = entry(w.ln1.weight, [dim], dtype);
    tensors[`${p}self_attn.q_proj.weight`] = entry(rotate(w.wq, heads), [dim, dim], dtype);
    tensors[`${p}self_attn.k_proj.weight`] = entry(rotate(w.wk, kvHeads), [kv, dim], dtype);
    tensors[`${p}self_attn.v_proj.weight`] = entry(w.wv, [kv, dim], dtype);
    tensors[`${p}self_attn.o_proj.weight`] = entry(w.wo, [dim, dim], dtype);
    tensors[`${p}post_attention_layernorm.weight`] = entry(w.ln2.weight, [dim], dtype);
    tensors[`${p}mlp.gate_proj.weight`] = entry(w.wGate!, [hiddenDim, dim], dtype);
    tensors[`${p}mlp.up_proj.weight`] = entry(w.wUp, [hiddenDim, dim], dtype);
    tensors[`${p}mlp.down_proj.weight`] = entry(w.wDown, [dim, hiddenDim], dtype);
  });
  tensors["model.norm.weight"] = entry(weights.finalNorm.weight, [dim], dtype);
  // transformers' save_pretrained drops lm_head when it is tied to the embedding.
  if (!config.sharedClassifier)
    tensors["lm_head.weight"] = entry(weights.classifier, [vocabSize, dim], dtype);
  return tensors;
}

/**
 * A Llama-2 style tokenizer.json equivalent to a llama2.c tokenizer: same ids,
 * "▁" for spaces, byte fallback, and merges for every token that splits into
 * two tokens, ranked by the merged token's score (then id) as HF's
 * SentencePiece converter ranks them.
 */
export function hfTokenizerJson(tokenizer: SentencePieceTokenizer): object {
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const specials = ["<unk>", "<s>", "</s>"];
  const strings: string[] = [];
  const vocab: Record<string, number> = {};
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    let s: string;
    if (id < 3) s = specials[id]!;
    else {
      try {
        s = utf8.decode(tokenizer.rawPiece(id)).replaceAll(" ", METASPACE);
      } catch {
        throw new ModelFormatError(
          `${tokenizer.description}: token ${id} is not valid UTF-8; cannot write tokenizer.json`,
        );
      }
    }
    if (Object.hasOwn(vocab, s)) {
      throw new ModelFormatError(
        `${tokenizer.description}: tokens ${vocab[s]} and ${id} are both ${JSON.stringify(s)}`,
      );
    }
    vocab[s] = id;
    strings.push(s);
  }
  // Pieces that merges may produce or consume: not special, not byte tokens.
  const mergeable = (id: number): boolean => id >= 3 && !/^<0x[0-9A-F]{2}>$/.test(strings[id]!);
  const merges: { left: string; right: string; score: number; merged: number; leftId: number }[] = [];
  for (let id = 0; id < strings.length; id++) {
    if (!mergeable(id)) continue;
    const chars = [...strings[id]!];
    for (let k = 1; k < chars.length; k++) {
      const left = chars.slice(0, k).join("");
      const right = chars.slice(k).join("");
      const leftId = vocab[left];
      const rightId = vocab[right];
      if (leftId === undefined || rightId === undefined || !mergeable(leftId) || !mergeable(rightId))
        continue;
      merges.push({ left, right, score: tokenizer.score(id), merged: id, leftId });
    }
  }
  merges.sort((a, b) => b.score - a.score || a.merged - b.merged || a.leftId - b.leftId);
  const special = (id: number) => ({
    id,
    content: specials[id],
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [special(0), special(1), special(2)],
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "Prepend", prepend: METASPACE },
        { type: "Replace", pattern: { String: " " }, content: METASPACE },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: "<s>", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "<s>", type_id: 1 } },
        { Sequence: { id: "B", type_id: 1 } },
      ],
      special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } },
    },
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "Replace", pattern: { String: METASPACE }, content: " " },
        { type: "ByteFallback" },
        { type: "Fuse" },
        { type: "Strip", content: " ", start: 1, stop: 0 },
      ],
    },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: "<unk>",
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab,
      merges: merges.map((m) => `${m.left} ${m.right}`),
    },
  };
}

/** Write `model` (and its tokenizer, when it is a llama2.c one) as an HF Llama folder. */
export async function writeHfLlamaFolder(
  model: DecoderModel,
  folder: string,
  options: HfExportOptions = {},
): Promise<void> {
  const dtype = options.dtype ?? "F32";
  const shards = options.shards ?? 1;
  await mkdir(folder, { recursive: true });
  const tokenizer = model.tokenizer;
  const bosId = tokenizer?.bosId ?? 1;
  const eosId = tokenizer?.eosId ?? 2;
  await writeFile(
    join(folder, "config.json"),
    `${JSON.stringify(hfLlamaConfigJson(model.config, bosId, eosId, dtype), null, 2)}\n`,
  );
  const tensors = hfLlamaTensors(model, dtype);
  if (shards <= 1) {
    await writeSafetensors(join(folder, "model.safetensors"), tensors, { format: "pt" });
  } else {
    const names = Object.keys(tensors);
    const weightMap: Record<string, string> = {};
    let totalSize = 0;
    for (let s = 0; s < shards; s++) {
      const file = `model-${String(s + 1).padStart(5, "0")}-of-${String(shards).padStart(5, "0")}.safetensors`;
      const part: Record<string, TensorEntry> = {};
      names.forEach((name, i) => {
        if (i % shards !== s) return;
        part[name] = tensors[name]!;
        weightMap[name] = file;
        totalSize += tensors[name]!.data.byteLength;
      });
      await writeSafetensors(join(folder, file), part, { format: "pt" });
    }
    await writeFile(
      join(folder, "model.safetensors.index.json"),
      `${JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2)}\n`,
    );
  }
  if (tokenizer instanceof SentencePieceTokenizer) {
    await writeFile(join(folder, "tokenizer.json"), JSON.stringify(hfTokenizerJson(tokenizer), null, 2));
  }
}
