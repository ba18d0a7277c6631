import { ModelFormatError } from "./model-format-error.js";

/**
 * How RoPE pairs the dimensions of a head:
 * - "adjacent-pairs": (2i, 2i+1) rotate together (llama2.c, Meta's original code);
 * - "half-split": (i, i + headSize/2) rotate together (Hugging Face's rotate_half).
 * Both use frequency theta^(-2i/headSize) for pair i; HF's conversion script
 * permutes the q/k rows so the two give the same attention scores.
 */
export type RopeStyle = "adjacent-pairs" | "half-split";

/** The shape of a Llama-family decoder (pre-RMSNorm, RoPE, grouped-query attention, SwiGLU). */
export interface LlamaConfig {
  /** Residual width (HF hidden_size). */
  readonly dim: number;
  /** SwiGLU hidden width (HF intermediate_size). */
  readonly hiddenDim: number;
  readonly layers: number;
  readonly heads: number;
  /** Key/value heads; `heads` must be a multiple of it (grouped-query attention). */
  readonly kvHeads: number;
  readonly vocabSize: number;
  /** Longest sequence the model accepts (llama2.c seq_len, HF max_position_embeddings). */
  readonly maxSeqLen: number;
  readonly normEps: number;
  readonly ropeTheta: number;
  readonly ropeStyle: RopeStyle;
  /** True when the output classifier is the token embedding (tied weights). */
  readonly sharedClassifier: boolean;
}

/** dim / heads. */
export function headSize(config: LlamaConfig): number {
  return config.dim / config.heads;
}

/** kvHeads · headSize: the width of the key and value projections. */
export function kvDim(config: LlamaConfig): number {
  return config.kvHeads * headSize(config);
}

function positiveInteger(value: number, field: string, source: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ModelFormatError(`${source}: ${field} is ${value}; expected a positive integer`);
  }
}

/**
 * Check that the numbers describe a model that can exist; returns the config.
 * `source` names the file (and `fieldNames` how it spells each field) so the
 * error points where to look.
 */
export function validateLlamaConfig(
  config: LlamaConfig,
  source: string,
  fieldNames: Partial<Record<keyof LlamaConfig, string>> = {},
): LlamaConfig {
  const name = (k: keyof LlamaConfig): string => fieldNames[k] ?? k;
  for (const k of ["dim", "hiddenDim", "layers", "heads", "kvHeads", "vocabSize", "maxSeqLen"] as const) {
    positiveInteger(config[k], name(k), source);
  }
  if (config.dim % config.heads !== 0) {
    throw new ModelFormatError(
      `${source}: ${name("heads")} ${config.heads} does not divide ${name("dim")} ${config.dim}; ` +
        "expected dim to be a multiple of the number of heads",
    );
  }
  if (config.kvHeads > config.heads || config.heads % config.kvHeads !== 0) {
    throw new ModelFormatError(
      `${source}: ${name("kvHeads")} ${config.kvHeads} does not divide ${name("heads")} ${config.heads}; ` +
        "expected the query heads to be a whole multiple of the key/value heads",
    );
  }
  if (headSize(config) % 2 !== 0) {
    throw new ModelFormatError(
      `${source}: head size ${name("dim")}/${name("heads")} = ${headSize(config)} is odd; RoPE needs an even head size`,
    );
  }
  if (!(config.normEps > 0 && Number.isFinite(config.normEps))) {
    throw new ModelFormatError(
      `${source}: ${name("normEps")} is ${config.normEps}; expected a positive number`,
    );
  }
  if (!(config.ropeTheta > 0 && Number.isFinite(config.ropeTheta))) {
    throw new ModelFormatError(
      `${source}: ${name("ropeTheta")} is ${config.ropeTheta}; expected a positive number`,
    );
  }
  if (config.ropeStyle !== "adjacent-pairs" && config.ropeStyle !== "half-split") {
    throw new ModelFormatError(
      `${source}: ropeStyle ${JSON.stringify(config.ropeStyle)}; expected "adjacent-pairs" or "half-split"`,
    );
  }
  return config;
}
