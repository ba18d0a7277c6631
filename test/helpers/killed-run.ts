/**
 * A training run stopped by an error thrown at a chosen logged step: what a
 * kill leaves behind (run.json, the checkpoints written so far, metrics up to
 * that step), made in-process so the step it stops at is exact.
 */
import assert from "node:assert/strict";
import { chooseKernels } from "../../src/kernels/choose-kernels.js";
import { trainRun, validateRunSpec } from "../../src/training/run-folder.js";

export async function trainUntilKilled(
  out: string,
  spec: Record<string, unknown>,
  killAtStep: number,
  threads = 1,
): Promise<void> {
  const kernels = await chooseKernels(threads);
  try {
    await assert.rejects(
      trainRun(out, validateRunSpec(spec, "test"), {
        resume: false,
        kernels,
        onMetrics: (m) => {
          if (m.step === killAtStep) throw new Error("simulated kill");
        },
      }),
      /simulated kill/,
    );
  } finally {
    await kernels.dispose();
  }
}
