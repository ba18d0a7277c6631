import type { ResolvedTrainConfig } from "./train-config.js";

/** AuxK's inputs of one step: the dead latents (ascending ids) and how many each token may use. */
export interface AuxkSpec {
  deadIds: Int32Array;
  kAux: number;
  coef: number;
}

/** What one optimizer step measured, in the units of trainer.ts's StepMetrics. */
export interface StepOutcome {
  loss: number;
  mse: number;
  /** λ_aux · L_aux (0 without AuxK) */
  auxLoss: number;
  /** batch FVU in scaled units */
  fvu: number;
  /** entries kept by the sparsifier over the batch (L0 · B) */
  kept: number;
  /** smallest kept positive pre-activation (feeds τ); +∞ if none */
  minKept: number;
  /** the latents that fired in this batch */
  fired: ArrayLike<number>;
}

/**
 * One optimizer step of the SAE a trainer holds, wherever its parameters live:
 * host-step.ts on the host arrays through the Kernels interface, or
 * device/device-step.ts with parameters and Adam moments resident on a GPU.
 * train() runs the same loop over either.
 */
export interface StepEngine {
  /**
   * Whether the next batch should be produced while a step runs: true where the
   * step runs off the host's cores (a GPU), so the two overlap; false on the host,
   * where the phase clock would then charge the data to the step.
   */
  readonly overlapsData: boolean;
  /** forward, backward, the optimizer update and α's clamp for batch `x` at 0-based `step` */
  step(x: Float32Array, step: number, lr: number, auxk: AuxkSpec | null): Promise<StepOutcome>;
  /**
   * Brings the SAE's parameters (and, with "all", the Adam moments) back into the
   * host arrays of `sae` and `state`; a host engine has nothing to do. "small" is
   * b_enc, γ and α, which the per-log finite check and the α metrics read.
   */
  syncToHost(what: "small" | "all"): Promise<void>;
  dispose(): void;
}

export type EngineConfig = Pick<
  ResolvedTrainConfig,
  "reweight" | "clipGradNorm" | "batchSize" | "auxkCoef" | "kAux"
>;
