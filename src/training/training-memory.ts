import { checkAllocation } from "../util/memory-budget.js";
import type { ResolvedTrainConfig } from "./train-config.js";

/**
 * Checks, before anything is allocated or written, that a run's largest
 * arrays can exist and its working set fits in memory: --m 1e11 is an
 * integer the option table accepts, but no typed array holds m·d entries.
 * The estimate counts float32 parameters, gradients and Adam moments (8·m·d),
 * the step's score matrix and its selection (≈ 3·B·m), a few [B, d] buffers,
 * and the initialisation sample.
 */
export function checkTrainingMemory(config: ResolvedTrainConfig, d: number): void {
  const { m, batchSize: B, initTokens } = config;
  const initRows = Math.ceil(initTokens / B) * B;
  checkAllocation({
    what: `training an SAE with m = ${m} latents on d = ${d} at batch size ${B}`,
    largestArray: Math.max(m * d, B * m, initRows * d),
    totalBytes: 4 * (8 * m * d + 3 * B * m + 8 * B * d + initRows * d),
    options: "--m or --batchSize (or --initTokens)",
  });
}
