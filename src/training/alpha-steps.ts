/**
 * α over training, read back from a run's metrics.jsonl: what the report plots
 * against the step. Lines that do not parse or carry no α are skipped.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { withPathContext } from "../util/system-error.js";
import { metricsFile } from "./run-folder-state.js";
import type { StepMetrics } from "./trainer.js";

/** α at one logged training step: its mean, and for per-latent α the spread over latents. */
export interface AlphaStep {
  step: number;
  mean: number;
  /** min, q1, median, q3, max of α_j; null for one scalar α (or a run logged before quartiles were) */
  quartiles: [number, number, number, number, number] | null;
}

/** The α of every logged step of the run in `runDir`, by step; null when the run logs no α. */
export async function readAlphaSteps(runDir: string): Promise<AlphaStep[] | null> {
  const path = join(runDir, metricsFile);
  const text = await withPathContext("reading the training metrics", path, () => readFile(path, "utf8"));
  const steps: AlphaStep[] = [];
  for (const line of text.split("\n")) {
    let m: Partial<StepMetrics>;
    try {
      m = JSON.parse(line) as Partial<StepMetrics>;
    } catch {
      continue;
    }
    if (typeof m.step !== "number" || typeof m.alpha !== "number") continue;
    const q = m.alphaQuartiles;
    const quartiles = Array.isArray(q) && q.length === 5 && q.every(Number.isFinite) ? q : null;
    steps.push({ step: m.step, mean: m.alpha, quartiles });
  }
  return steps.length > 0 ? steps : null;
}
