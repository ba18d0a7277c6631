/**
 * Where training activations come from. A batch is a pure function of its
 * index, so a resumed run sees exactly the batches an uninterrupted run would.
 * Implementations: syntheticSource (synthetic-source.ts) and, for datasets on
 * disk, ActivationStreamSource (activation-source.ts).
 */
export interface ActivationSource {
  /** input width */
  readonly d: number;
  /** one line for logs and cfg.json */
  readonly description: string;
  /** training batch number `index`: [size, d] raw activations (file sources read asynchronously) */
  trainBatch(index: number, size: number): Float32Array | Promise<Float32Array>;
}
