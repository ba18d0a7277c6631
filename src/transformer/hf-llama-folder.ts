/**
 * Reader of a Hugging Face Llama folder: config.json (LlamaForCausalLM),
 * weights in model.safetensors or in shards listed by
 * model.safetensors.index.json, F32/F16/BF16, with HF tensor names.
 * HF stores q/k rows for rotate_half RoPE, so the config says "half-split".
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { readSafetensors, type TensorEntry, toFloat32 } from "../io/safetensors.js";
import { firstNonFiniteIndex } from "../util/non-finite.js";
import { isPlainFileName } from "../util/plain-file-name.js";
import { withPathContext } from "../util/system-error.js";
import { validateDecoderConfig } from "./decoder-checks.js";
import type { DecoderConfig, DecoderLayerWeights, DecoderWeights } from "./decoder-config.js";
import { ModelFormatError } from "./model-format-error.js";

export interface HfLlamaFolder {
  readonly config: DecoderConfig;
  readonly weights: DecoderWeights;
  /** folder/tokenizer.json (whether or not it exists). */
  readonly tokenizerPath: string;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
}

const FIELD_NAMES = {
  dim: "hidden_size",
  mlpDim: "intermediate_size",
  layers: "num_hidden_layers",
  heads: "num_attention_heads",
  kvHeads: "num_key_value_heads",
  vocabSize: "vocab_size",
  maxSeqLen: "max_position_embeddings",
} as const;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readJson(path: string): Promise<unknown> {
  const text = await withPathContext("the Hugging Face folder", path, () => readFile(path, "utf8"));
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ModelFormatError(
      `${path}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Parse config.json into a DecoderConfig, refusing what the forward pass does not implement. */
export function parseHfLlamaConfig(json: unknown, source: string): DecoderConfig {
  if (!isRecord(json)) throw new ModelFormatError(`${source}: expected a JSON object`);
  const modelType = json["model_type"];
  const architectures = json["architectures"];
  if (modelType !== undefined && modelType !== "llama") {
    throw new ModelFormatError(
      `${source}: model_type ${JSON.stringify(modelType)} is not supported; expected "llama"`,
    );
  }
  if (Array.isArray(architectures) && !architectures.includes("LlamaForCausalLM")) {
    throw new ModelFormatError(
      `${source}: architectures ${JSON.stringify(architectures)}; expected ["LlamaForCausalLM"]`,
    );
  }
  const num = (field: string, fallback?: number): number => {
    const v = json[field];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== "number") {
      const found =
        v === undefined ? "missing" : `${JSON.stringify(v)} (a ${v === null ? "null" : typeof v})`;
      throw new ModelFormatError(`${source}: field ${field} is ${found}; expected a number`);
    }
    return v;
  };
  const refuse = (field: string, ok: (v: unknown) => boolean, expected: string): void => {
    if (json[field] !== undefined && !ok(json[field])) {
      throw new ModelFormatError(
        `${source}: ${field} ${JSON.stringify(json[field])} is not supported; expected ${expected}`,
      );
    }
  };
  refuse("hidden_act", (v) => v === "silu", '"silu"');
  refuse("rope_scaling", (v) => v === null, "null (no RoPE scaling)");
  refuse("attention_bias", (v) => v === false, "false");
  refuse("mlp_bias", (v) => v === false, "false");
  refuse("pretraining_tp", (v) => v === 1, "1");
  refuse("tie_word_embeddings", (v) => typeof v === "boolean", "true or false");
  for (const field of ["bos_token_id", "eos_token_id"]) {
    refuse(field, (v) => v === null || Number.isSafeInteger(v), "a token id");
  }
  const heads = num("num_attention_heads");
  const dim = num("hidden_size");
  const layers = num("num_hidden_layers");
  const eps = num("rms_norm_eps", 1e-6);
  const theta = num("rope_theta", 10000);
  for (const [field, v] of [
    ["rms_norm_eps", eps],
    ["rope_theta", theta],
  ] as const) {
    if (!(v > 0 && Number.isFinite(v))) {
      throw new ModelFormatError(`${source}: ${field} is ${v}; expected a positive number`);
    }
  }
  if (!(Number.isSafeInteger(dim) && dim > 0)) {
    throw new ModelFormatError(`${source}: hidden_size is ${dim}; expected a positive integer`);
  }
  if (!(Number.isSafeInteger(heads) && heads > 0)) {
    throw new ModelFormatError(`${source}: num_attention_heads is ${heads}; expected a positive integer`);
  }
  if (dim % heads !== 0) {
    throw new ModelFormatError(
      `${source}: num_attention_heads ${heads} does not divide hidden_size ${dim}; ` +
        "expected dim to be a multiple of the number of heads",
    );
  }
  const headSize = dim / heads;
  if (headSize % 2 !== 0) {
    throw new ModelFormatError(
      `${source}: head size hidden_size/num_attention_heads = ${headSize} is odd; RoPE needs an even head size`,
    );
  }
  const config = validateDecoderConfig(
    {
      family: "llama",
      dim,
      layers,
      heads,
      kvHeads: num("num_key_value_heads", heads),
      headSize,
      mlpDim: num("intermediate_size"),
      vocabSize: num("vocab_size"),
      maxSeqLen: num("max_position_embeddings", 2048),
      norm: { kind: "rms", eps, unitOffset: false },
      learnedPositions: false,
      rotary: { theta, dims: headSize, style: "half-split", scaling: null },
      qkvBias: false,
      outBias: false,
      attentionScale: 1 / Math.sqrt(headSize),
      attentionSoftcap: null,
      slidingWindow: null,
      slidingLayers:
        Number.isSafeInteger(layers) && layers > 0 ? Array.from({ length: layers }, () => false) : [],
      mlp: "gated",
      mlpBias: false,
      activation: "silu",
      residual: "sequential",
      postNorms: false,
      embeddingScale: 1,
      finalSoftcap: null,
      sharedClassifier: json["tie_word_embeddings"] === true,
    },
    source,
    FIELD_NAMES,
  );
  refuse("head_dim", (v) => v === headSize, `hidden_size / num_attention_heads = ${headSize}`);
  return config;
}

/** Tensors of all weight files by name, each with the file it came from. */
async function readWeightFiles(folder: string): Promise<Map<string, { entry: TensorEntry; file: string }>> {
  const indexPath = join(folder, "model.safetensors.index.json");
  let files: string[];
  const indexed = await exists(indexPath);
  if (indexed) {
    const index = await readJson(indexPath);
    const weightMap = isRecord(index) ? index["weight_map"] : undefined;
    if (!isRecord(weightMap)) {
      throw new ModelFormatError(
        `${indexPath}: expected an object with "weight_map": {tensor name: file name}`,
      );
    }
    // Shards must lie beside the index: a downloaded folder must not make cosae read files elsewhere.
    for (const [tensor, file] of Object.entries(weightMap)) {
      if (!isPlainFileName(file)) {
        throw new ModelFormatError(
          `${indexPath}: weight_map["${tensor}"] is ${JSON.stringify(file)}; expected the name of a ` +
            `safetensors file inside ${folder} (no folders, no absolute path)`,
        );
      }
    }
    files = [...new Set(Object.values(weightMap) as string[])].sort();
  } else if (await exists(join(folder, "model.safetensors"))) {
    files = ["model.safetensors"];
  } else {
    throw new ModelFormatError(
      `${folder}: no model.safetensors or model.safetensors.index.json; expected safetensors weights ` +
        "(pytorch_model.bin is not read)",
    );
  }
  const tensors = new Map<string, { entry: TensorEntry; file: string }>();
  for (const f of files) {
    const path = join(folder, f);
    const what = indexed ? `a shard named in ${indexPath}` : "the weights";
    const file = await withPathContext(what, path, () => readSafetensors(path));
    for (const [name, entry] of Object.entries(file.tensors)) tensors.set(name, { entry, file: path });
  }
  return tensors;
}

export async function readHfLlamaFolder(folder: string): Promise<HfLlamaFolder> {
  const configPath = join(folder, "config.json");
  const json = await readJson(configPath);
  const config = parseHfLlamaConfig(json, configPath);
  const tensors = await readWeightFiles(folder);
  const { dim, mlpDim: hiddenDim, vocabSize } = config;
  const kv = config.kvHeads * config.headSize;
  const take = (name: string, shape: number[]): Float32Array => {
    const found = tensors.get(name);
    if (found === undefined) {
      throw new ModelFormatError(
        `${folder}: tensor "${name}" is missing; expected shape [${shape.join(", ")}] in the weight files`,
      );
    }
    const { entry, file } = found;
    if (entry.shape.length !== shape.length || entry.shape.some((d, i) => d !== shape[i])) {
      throw new ModelFormatError(
        `${file}: tensor "${name}" has shape [${entry.shape.join(", ")}]; expected [${shape.join(", ")}] ` +
          `from ${configPath}`,
      );
    }
    if (entry.dtype !== "F32" && entry.dtype !== "F16" && entry.dtype !== "BF16") {
      throw new ModelFormatError(
        `${file}: tensor "${name}" has dtype ${entry.dtype}; expected F32, F16 or BF16`,
      );
    }
    const values = toFloat32(entry);
    // One NaN or Inf weight spreads to every activation: refuse it here, naming where it is.
    const bad = firstNonFiniteIndex(values);
    if (bad >= 0) {
      throw new ModelFormatError(
        `${file}: tensor "${name}" holds ${values[bad]} at index ${bad}` +
          (shape.length === 2 ? ` (row ${Math.floor(bad / shape[1]!)}, column ${bad % shape[1]!})` : "") +
          "; expected finite weights — the model is corrupt or was saved from a diverged run",
      );
    }
    return values;
  };
  const layers: DecoderLayerWeights[] = [];
  for (let l = 0; l < config.layers; l++) {
    const p = `model.layers.${l}.`;
    layers.push({
      ln1: { weight: take(`${p}input_layernorm.weight`, [dim]), bias: null },
      ln1Post: null,
      wq: take(`${p}self_attn.q_proj.weight`, [dim, dim]),
      wk: take(`${p}self_attn.k_proj.weight`, [kv, dim]),
      wv: take(`${p}self_attn.v_proj.weight`, [kv, dim]),
      bq: null,
      bk: null,
      bv: null,
      wo: take(`${p}self_attn.o_proj.weight`, [dim, dim]),
      bo: null,
      ln2: { weight: take(`${p}post_attention_layernorm.weight`, [dim]), bias: null },
      ln2Post: null,
      wGate: take(`${p}mlp.gate_proj.weight`, [hiddenDim, dim]),
      wUp: take(`${p}mlp.up_proj.weight`, [hiddenDim, dim]),
      bUp: null,
      wDown: take(`${p}mlp.down_proj.weight`, [dim, hiddenDim]),
      bDown: null,
    });
  }
  const tokenEmbedding = take("model.embed_tokens.weight", [vocabSize, dim]);
  const weights: DecoderWeights = {
    tokenEmbedding,
    positionEmbedding: null,
    layers,
    finalNorm: { weight: take("model.norm.weight", [dim]), bias: null },
    classifier: config.sharedClassifier ? tokenEmbedding : take("lm_head.weight", [vocabSize, dim]),
  };
  const id = (field: string): number | undefined => {
    const v = isRecord(json) ? json[field] : undefined;
    return typeof v === "number" ? v : undefined;
  };
  return {
    config,
    weights,
    tokenizerPath: join(folder, "tokenizer.json"),
    bosId: id("bos_token_id"),
    eosId: id("eos_token_id"),
  };
}
