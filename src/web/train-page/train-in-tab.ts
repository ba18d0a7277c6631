/**
 * Training in the browser tab with the same trainer Node runs (src/training/trainer.ts):
 * a new SAE initialised from the first batches, then `config.steps` optimizer
 * steps, all on `kernels` (webgpu on navigator.gpu, or the CPU reference set).
 */
import type { ActivationSource } from "../../data/source.js";
import type { Kernels } from "../../kernels/kernels.js";
import type { Sae } from "../../model/sae.js";
import type { ResolvedTrainConfig } from "../../training/train-config.js";
import { type StepMetrics, startTraining, type TrainerState, train } from "../../training/trainer.js";

export interface TrainInTabOptions {
  config: ResolvedTrainConfig;
  source: ActivationSource;
  kernels: Kernels;
  /** every `config.logEvery` steps and after the last */
  onMetrics?: (metrics: StepMetrics) => void;
  /** once the SAE is initialised, before the first step */
  onStarted?: () => void;
}

export async function trainInTab(options: TrainInTabOptions): Promise<{ sae: Sae; state: TrainerState }> {
  const { config, source, kernels } = options;
  const { sae, state } = await startTraining(config, source);
  options.onStarted?.();
  // The trainer checks every parameter finite after the last step (its final checkpoint check).
  await train(sae, state, source, config, kernels, options.onMetrics ? { onMetrics: options.onMetrics } : {});
  return { sae, state };
}
