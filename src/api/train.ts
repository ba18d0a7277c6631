/**
 * Training for library users: an SAE from any activation source with the
 * options of `cosae train` (checked the same way), in memory or as a run
 * folder that can be resumed.
 */
import type { ActivationSource } from "../data/source.js";
import type { Sae } from "../model/sae.js";
import { type RunSpec, trainRun, validateRunSpec } from "../training/run-folder.js";
import { resolveTrainConfig, type TrainConfig, validateTrainConfig } from "../training/train-config.js";
import { type StepMetrics, startTraining, train } from "../training/trainer.js";
import { type KernelSet, withKernels } from "./kernels.js";

export type { FieldSpec, FieldTable, FieldValue, FieldValues } from "../config/fields.js";
export type { RunSpec } from "../training/run-folder.js";
export { type TrainConfig, trainFields } from "../training/train-config.js";
export type { StepMetrics } from "../training/trainer.js";

/** Options of {@link trainSae}: any training option of `cosae train` (the rest take their defaults), and how to run. */
export interface TrainOptions extends Partial<TrainConfig> {
  /** the kernels to run on (default: the fastest here, opened for this call) */
  kernels?: KernelSet;
  /** called every `logEvery` steps with the step's loss, FVU, L0 … */
  onMetrics?: (metrics: StepMetrics) => void;
}

/**
 * Trains a new SAE on `source` and returns it (nothing is written; see
 * {@link saveSae}). The options are those of `cosae train`, validated the same
 * way: an unknown name or a value out of range throws before any work.
 * Checkpoints need a run folder: use {@link trainRunFolder}.
 */
export async function trainSae(source: ActivationSource, options: TrainOptions = {}): Promise<Sae> {
  const { kernels, onMetrics, ...asked } = options;
  const config = resolveTrainConfig(validateTrainConfig(asked, "trainSae options"), source.d);
  return withKernels(kernels, async (k) => {
    const { sae, state } = await startTraining(config, source);
    await train(sae, state, source, config, k, onMetrics ? { onMetrics } : {});
    return sae;
  });
}

/** Options of {@link trainRunFolder}. */
export interface TrainRunOptions {
  /** continue the run already in the folder from its latest checkpoint (then `spec` must be null) */
  resume?: boolean;
  /** the kernels to run on (default: the fastest here, opened for this call) */
  kernels?: KernelSet;
  /** called every `logEvery` steps with the step's loss, FVU, L0 … */
  onMetrics?: (metrics: StepMetrics) => void;
}

/**
 * Trains as `cosae train --out folder` does: `spec` is the JSON of a
 * `cosae train --config` file (training options, and `data` naming the
 * synthetic dataset or an activation file or shard folder), validated the same
 * way. The folder gets run.json, metrics.jsonl, checkpoints/ and sae/; with
 * `resume` the run continues from its latest checkpoint to the same result.
 */
export async function trainRunFolder(
  folder: string,
  spec: Record<string, unknown> | null,
  options: TrainRunOptions = {},
): Promise<Sae> {
  const resume = options.resume ?? false;
  if (resume && spec !== null)
    throw new Error(
      `trainRunFolder(${JSON.stringify(folder)}): resume continues the run as configured; pass spec null`,
    );
  const checked: RunSpec | null = spec === null ? null : validateRunSpec(spec, "trainRunFolder spec");
  return withKernels(options.kernels, (kernels) =>
    trainRun(folder, checked, {
      resume,
      kernels,
      ...(options.onMetrics ? { onMetrics: options.onMetrics } : {}),
    }),
  );
}
