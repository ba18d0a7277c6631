/**
 * Optional extras of a kernel set that computes on a device (the webgpu set has
 * both), which the transformer forward uses when present:
 * - causal multi-head attention over packed sequences (the contract of
 *   src/transformer/causal-attention.ts), so attention runs beside the set's
 *   products rather than on the CPU;
 * - weights marked constant, whose device copies the set then never re-checks
 *   against the host arrays (a model's weights do not change while it runs).
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

export interface ConstantWeightKernels {
  /** Promises that `w` will not change while the set is open: its device copy is reused without a check. */
  markConstant(w: Float32Array): void;
}

/** Whether a kernel set takes constant-weight marks. */
export function hasConstantWeights(kernels: object): kernels is ConstantWeightKernels {
  return typeof (kernels as Partial<ConstantWeightKernels>).markConstant === "function";
}
