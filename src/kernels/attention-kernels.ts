/**
 * An optional extra of a kernel set: causal multi-head attention over packed
 * sequences (the contract of src/transformer/causal-attention.ts). The
 * transformer forward uses it when the set has it (the webgpu set does), so
 * attention runs beside the set's products; otherwise it runs on the CPU.
 */

/** The heads and masking of one attention layer (src/transformer/causal-attention.ts AttentionShape). */
export interface AttentionHeads {
  readonly heads: number;
  readonly kvHeads: number;
  readonly headSize: number;
  /** multiplier of q·k; default 1/√headSize */
  readonly scale?: number;
  /** scores → c·tanh(scores/c) before the softmax; 0 or absent for none */
  readonly softcap?: number;
  /** token t sees s only when t − s < window; 0 or absent for none */
  readonly window?: number;
}

export interface AttentionKernels {
  /**
   * `qkv` [rows, (heads + 2·kvHeads)·headSize] (queries, keys, values per row, rotary
   * applied); returns [rows, heads·headSize], each token attending to itself and the
   * earlier tokens of its own sequence.
   */
  causalAttention(
    qkv: Float32Array,
    sequenceLengths: readonly number[] | Int32Array,
    shape: AttentionHeads,
  ): Promise<Float32Array>;
}

/** Whether a kernel set runs attention itself. */
export function hasAttention(kernels: object): kernels is AttentionKernels {
  return typeof (kernels as Partial<AttentionKernels>).causalAttention === "function";
}
