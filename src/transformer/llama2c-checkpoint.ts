/**
 * Reader of llama2.c model checkpoints (Karpathy's `run.c` format).
 *
 * Legacy format (stories15M/42M/110M/260K): 7 little-endian int32
 * (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len) —
 * vocab_size negative means an unshared classifier is stored at the end —
 * then float32 tensors: token_embedding [vocab, dim]; rms_att [L, dim];
 * wq [L, dim, dim]; wk, wv [L, kv_dim, dim]; wo [L, dim, dim]; rms_ffn [L, dim];
 * w1 [L, hidden, dim]; w2 [L, dim, hidden]; w3 [L, hidden, dim]; rms_final [dim];
 * two RoPE tables [seq_len, head_size/2] (skipped: we recompute them);
 * classifier [vocab, dim] if unshared.
 *
 * Version 1 (export.py --version 1): 256-byte header (magic "ak42", int32
 * version, the 7 int32, uint8 shared_classifier), then norms first:
 * rms_att, rms_ffn, rms_final, token_embedding, wq, wk, wv, wo, w1, w2, w3,
 * classifier if unshared. Version 2 (int8-quantised) is refused.
 */
import { readFile } from "node:fs/promises";
import { firstNonFiniteIndex } from "../util/non-finite.js";
import { withPathContext } from "../util/system-error.js";
import { validateDecoderConfig } from "./decoder-checks.js";
import type { DecoderConfig, DecoderLayerWeights, DecoderWeights } from "./decoder-config.js";
import { ModelFormatError } from "./model-format-error.js";

export type Llama2cFormat = "llama2c-legacy" | "llama2c-v1";

export interface Llama2cCheckpoint {
  readonly format: Llama2cFormat;
  readonly config: DecoderConfig;
  readonly weights: DecoderWeights;
}

/** "ak42" read as a little-endian uint32: the first word of a versioned export. */
export const LLAMA2C_MAGIC = 0x616b3432;
const LEGACY_HEADER_BYTES = 28;
const V1_HEADER_BYTES = 256;

const HEADER_FIELDS = ["dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"];

const FIELD_NAMES = {
  dim: "dim",
  mlpDim: "hidden_dim",
  layers: "n_layers",
  heads: "n_heads",
  kvHeads: "n_kv_heads",
  vocabSize: "vocab_size",
  maxSeqLen: "seq_len",
} as const;

/** Read and validate a llama2.c checkpoint file. */
export async function readLlama2cCheckpoint(path: string): Promise<Llama2cCheckpoint> {
  const bytes = await withPathContext("the llama2.c model", path, () => readFile(path));
  return decodeLlama2cCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

interface TensorSpec {
  readonly name: string;
  /** Elements per layer (or in all, for a tensor with `layered` false). */
  readonly size: number;
  readonly layered: boolean;
}

function describeHeader(values: readonly number[]): string {
  return HEADER_FIELDS.map((f, i) => `${f}=${values[i]}`).join(", ");
}

/** A file that is not a llama2.c checkpoint at all (as opposed to a damaged one). */
export class NotLlama2cCheckpointError extends ModelFormatError {
  override name = "NotLlama2cCheckpointError";
}

/**
 * The largest value each header field may plausibly hold (dim 16384 and
 * contexts of 128k tokens are real; a text or random file reads as ~1e9).
 */
const PLAUSIBLE_MAX = [2 ** 16, 2 ** 18, 2 ** 10, 2 ** 10, 2 ** 10, 2 ** 22, 2 ** 22];

function plausibleField(value: number, i: number): boolean {
  const magnitude = i === 5 ? Math.abs(value) : value;
  return magnitude > 0 && magnitude <= PLAUSIBLE_MAX[i]!;
}

/** The first bytes as text when they look like text (printable ASCII, tabs, newlines), else null. */
function textStart(bytes: Uint8Array): string | null {
  const head = bytes.subarray(0, 40);
  const printable = head.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d);
  return printable ? JSON.stringify(Buffer.from(head).toString("latin1")) : null;
}

/**
 * A file whose header holds several implausible values (or any absurdly large
 * one) is not a llama2.c checkpoint at all: say so, instead of reporting the
 * first arithmetic that fails on its numbers.
 */
function refuseImplausibleHeader(bytes: Uint8Array, header: readonly number[], source: string): void {
  const wrong = header.filter((v, i) => !plausibleField(v, i)).length;
  const huge = header.some((v, i) => (i === 5 ? Math.abs(v) : v) > PLAUSIBLE_MAX[i]!);
  if (wrong < 2 && !huge) return;
  const text = textStart(bytes);
  throw new NotLlama2cCheckpointError(
    `${source} is not a llama2.c checkpoint: its header values are implausible (${describeHeader(header)}; ` +
      `expected positive sizes such as dim=288, n_layers=6, vocab_size=32000)` +
      (text === null ? "" : ` and it starts like a text file (${text})`) +
      "; expected a llama2.c .bin model (as written by llama2.c's export.py) or a Hugging Face model folder",
  );
}

/** Decode a checkpoint held in memory; `source` names it in errors. */
export function decodeLlama2cCheckpoint(bytes: Uint8Array, source: string): Llama2cCheckpoint {
  if (bytes.length < LEGACY_HEADER_BYTES) {
    throw new NotLlama2cCheckpointError(
      `${source}: file is ${bytes.length} bytes, shorter than the ${LEGACY_HEADER_BYTES}-byte llama2.c header ` +
        "(7 int32: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len), so it is not a llama2.c checkpoint",
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: Llama2cFormat = "llama2c-legacy";
  let headerBytes = LEGACY_HEADER_BYTES;
  let fieldsAt = 0;
  let shared: boolean;
  if (view.getUint32(0, true) === LLAMA2C_MAGIC) {
    if (bytes.length < V1_HEADER_BYTES) {
      throw new ModelFormatError(
        `${source}: file starts with the llama2.c magic "ak42" but is ${bytes.length} bytes, shorter than the ` +
          `${V1_HEADER_BYTES}-byte versioned header`,
      );
    }
    const version = view.getInt32(4, true);
    if (version !== 1) {
      throw new ModelFormatError(
        `${source}: llama2.c export version ${version} (bytes 4..8) is not supported; expected version 1 ` +
          "(float32) or the legacy header (version 2 is int8-quantised)",
      );
    }
    format = "llama2c-v1";
    headerBytes = V1_HEADER_BYTES;
    fieldsAt = 8;
  }
  const header = HEADER_FIELDS.map((_, i) => view.getInt32(fieldsAt + 4 * i, true));
  refuseImplausibleHeader(bytes, header, source);
  let vocab = header[5]!;
  if (format === "llama2c-v1") {
    const flag = view.getUint8(fieldsAt + 28);
    if (flag > 1) {
      throw new ModelFormatError(
        `${source}: shared_classifier byte (offset ${fieldsAt + 28}) is ${flag}; expected 0 or 1`,
      );
    }
    shared = flag === 1;
  } else {
    // The legacy sign convention: a negative vocab_size says the classifier is stored separately.
    shared = vocab > 0;
    vocab = Math.abs(vocab);
  }
  const offsetOf = (i: number): string => `bytes ${fieldsAt + 4 * i}..${fieldsAt + 4 * i + 4}`;
  header.forEach((value, i) => {
    if (i === 5 ? value === 0 : value <= 0) {
      const want = i === 5 ? "a non-zero integer (negative = unshared classifier)" : "a positive integer";
      throw new ModelFormatError(
        `${source}: header field ${HEADER_FIELDS[i]} (${offsetOf(i)}) is ${value}; expected ${want} ` +
          `(header: ${describeHeader(header)}) — is this a llama2.c checkpoint?`,
      );
    }
  });
  const config = llama2cConfig(
    {
      dim: header[0]!,
      hiddenDim: header[1]!,
      layers: header[2]!,
      heads: header[3]!,
      kvHeads: header[4]!,
      vocabSize: vocab,
      maxSeqLen: header[6]!,
      sharedClassifier: shared,
    },
    `${source} (llama2.c header)`,
  );

  const specs = tensorSpecs(config, format);
  const L = config.layers;
  const floats = specs.reduce((n, s) => n + s.size * (s.layered ? L : 1), 0);
  const expectedBytes = headerBytes + 4 * floats;
  if (bytes.length !== expectedBytes) {
    let hint = "";
    if (format === "llama2c-legacy") {
      const otherBytes = expectedBytes + (shared ? 4 : -4) * config.vocabSize * config.dim;
      if (bytes.length === otherBytes) {
        hint = shared
          ? "; the size fits an unshared classifier, which the legacy header marks with a negative vocab_size"
          : "; the size fits a shared classifier, which the legacy header marks with a positive vocab_size";
      }
    }
    const why = bytes.length < expectedBytes ? "truncated" : "longer than expected";
    throw new ModelFormatError(
      `${source}: file is ${bytes.length} bytes (${why}); expected ${expectedBytes} bytes ` +
        `(${headerBytes}-byte ${format} header + ${floats} float32 for ${describeHeader(header)}, ` +
        `classifier ${shared ? "shared" : "unshared"})${hint}`,
    );
  }

  // Copy each tensor out so it is aligned whatever the buffer's offset.
  const tensors = new Map<string, Float32Array>();
  let at = headerBytes;
  for (const spec of specs) {
    const count = spec.size * (spec.layered ? L : 1);
    const copy = bytes.slice(at, at + 4 * count);
    const values = new Float32Array(copy.buffer, copy.byteOffset, count);
    // The RoPE tables are recomputed, so only the tensors the forward pass reads must be finite.
    if (!spec.name.startsWith("freq_cis")) refuseNonFinite(values, spec, L, at, source);
    tensors.set(spec.name, values);
    at += 4 * count;
  }
  const perLayer = (name: string, l: number): Float32Array => {
    const all = tensors.get(name)!;
    const size = all.length / L;
    return all.subarray(l * size, (l + 1) * size);
  };
  const layers: DecoderLayerWeights[] = [];
  for (let l = 0; l < L; l++) {
    layers.push({
      ln1: { weight: perLayer("rms_att", l), bias: null },
      ln1Post: null,
      ln2: { weight: perLayer("rms_ffn", l), bias: null },
      ln2Post: null,
      wq: perLayer("wq", l),
      wk: perLayer("wk", l),
      wv: perLayer("wv", l),
      bq: null,
      bk: null,
      bv: null,
      wo: perLayer("wo", l),
      bo: null,
      wGate: perLayer("w1", l),
      wUp: perLayer("w3", l),
      bUp: null,
      wDown: perLayer("w2", l),
      bDown: null,
    });
  }
  const tokenEmbedding = tensors.get("token_embedding")!;
  return {
    format,
    config,
    weights: {
      tokenEmbedding,
      positionEmbedding: null,
      layers,
      finalNorm: { weight: tensors.get("rms_final")!, bias: null },
      classifier: shared ? tokenEmbedding : tensors.get("classifier")!,
    },
  };
}

/** The header's numbers, as llama2.c's run.c reads them. */
interface Llama2cHeader {
  readonly dim: number;
  readonly hiddenDim: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly vocabSize: number;
  readonly maxSeqLen: number;
  readonly sharedClassifier: boolean;
}

/**
 * llama2.c's model as a DecoderConfig: RMSNorm (eps 1e-5), RoPE (theta 10000)
 * on adjacent pairs over the whole head, SwiGLU, no biases, head size dim/heads.
 */
export function llama2cConfig(h: Llama2cHeader, source: string): DecoderConfig {
  for (const k of ["dim", "heads"] as const) {
    if (!Number.isSafeInteger(h[k]) || h[k] <= 0) {
      throw new ModelFormatError(`${source}: ${FIELD_NAMES[k]} is ${h[k]}; expected a positive integer`);
    }
  }
  if (h.dim % h.heads !== 0) {
    throw new ModelFormatError(
      `${source}: n_heads ${h.heads} does not divide dim ${h.dim}; expected dim to be a multiple of the number of heads`,
    );
  }
  const headSize = h.dim / h.heads;
  if (headSize % 2 !== 0) {
    throw new ModelFormatError(
      `${source}: head size dim/n_heads = ${headSize} is odd; RoPE needs an even head size`,
    );
  }
  return validateDecoderConfig(
    {
      family: "llama2c",
      dim: h.dim,
      layers: h.layers,
      heads: h.heads,
      kvHeads: h.kvHeads,
      headSize,
      mlpDim: h.hiddenDim,
      vocabSize: h.vocabSize,
      maxSeqLen: h.maxSeqLen,
      norm: { kind: "rms", eps: 1e-5, unitOffset: false },
      learnedPositions: false,
      rotary: { theta: 10000, dims: headSize, style: "adjacent-pairs", scaling: null },
      qkvBias: false,
      outBias: false,
      attentionScale: 1 / Math.sqrt(headSize),
      attentionSoftcap: null,
      slidingWindow: null,
      slidingLayers: Array.from({ length: h.layers }, () => false),
      mlp: "gated",
      mlpBias: false,
      activation: "silu",
      residual: "sequential",
      postNorms: false,
      embeddingScale: 1,
      finalSoftcap: null,
      sharedClassifier: h.sharedClassifier,
    },
    source,
    FIELD_NAMES,
  );
}

/** One NaN or Inf weight spreads to every activation: name the tensor, layer, index and byte offset. */
function refuseNonFinite(
  values: Float32Array,
  spec: TensorSpec,
  layers: number,
  offset: number,
  source: string,
): void {
  const i = firstNonFiniteIndex(values);
  if (i < 0) return;
  const where = spec.layered ? `layer ${Math.floor(i / spec.size)} index ${i % spec.size}` : `index ${i}`;
  throw new ModelFormatError(
    `${source}: weight ${values[i]} in tensor ${spec.name} (${where} of ${spec.size}` +
      `${spec.layered ? ` per layer, ${layers} layers` : ""}; bytes ${offset + 4 * i}..${offset + 4 * i + 4}); ` +
      "expected finite weights — the model is corrupt or was exported from a diverged run",
  );
}

/** The stored tensors in file order. */
function tensorSpecs(config: DecoderConfig, format: Llama2cFormat): TensorSpec[] {
  const { dim, mlpDim: hiddenDim, vocabSize, maxSeqLen, headSize } = config;
  const kv = config.kvHeads * headSize;
  const t = (name: string, size: number, layered = true): TensorSpec => ({ name, size, layered });
  const matrices = [t("wq", dim * dim), t("wk", kv * dim), t("wv", kv * dim), t("wo", dim * dim)];
  const ffn = [t("w1", hiddenDim * dim), t("w2", dim * hiddenDim), t("w3", hiddenDim * dim)];
  const classifier = config.sharedClassifier ? [] : [t("classifier", vocabSize * dim, false)];
  if (format === "llama2c-v1") {
    return [
      t("rms_att", dim),
      t("rms_ffn", dim),
      t("rms_final", dim, false),
      t("token_embedding", vocabSize * dim, false),
      ...matrices,
      ...ffn,
      ...classifier,
    ];
  }
  const ropeTable = (maxSeqLen * headSize) / 2;
  return [
    t("token_embedding", vocabSize * dim, false),
    t("rms_att", dim),
    ...matrices,
    t("rms_ffn", dim),
    ...ffn,
    t("rms_final", dim, false),
    t("freq_cis_real", ropeTable, false),
    t("freq_cis_imag", ropeTable, false),
    ...classifier,
  ];
}
