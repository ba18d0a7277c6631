/**
 * One file per Hugging Face architecture, in the manner of SAELens's
 * registry: each maps its config.json onto a DecoderConfig and its tensor
 * names onto DecoderWeights. The layer math lives once, in decoder.ts.
 * Adding a family is one file here plus its fixture and a line in registry.ts.
 */
import type { DecoderConfig, DecoderWeights } from "../decoder-config.js";

/** Reads one tensor of the folder: checks it exists with this shape, converts it to float32, refuses NaN/Inf. */
export type TakeTensor = (name: string, shape: readonly number[]) => Float32Array;

export interface ModelFamily {
  /** config.json's model_type, e.g. "gpt2". */
  readonly modelType: string;
  /** The architectures[] entries it accepts, e.g. ["GPT2LMHeadModel"]. */
  readonly architectures: readonly string[];
  /**
   * The DecoderConfig of config.json; refuses, by name, every field whose
   * value cosae does not implement (never ignores one). `source` names the file.
   */
  parseConfig(json: Readonly<Record<string, unknown>>, source: string): DecoderConfig;
  /**
   * The weights, through `take` (which names the file on any fault); `has` says
   * whether an optional tensor (e.g. an untied lm_head) is present.
   */
  readWeights(config: DecoderConfig, take: TakeTensor, has: (name: string) => boolean): DecoderWeights;
  /**
   * Names of tensors that older checkpoints hold but transformers does not load
   * as parameters (causal-mask buffers, rotary inv_freq): never read, never
   * reported. Any other tensor the family does not read is refused.
   */
  readonly buffers?: readonly RegExp[];
}
