import type { PhaseClock } from "../../kernels/phase-clock.js";
import { isCosine } from "../../kernels/score-family.js";
import type { Gpu } from "../../kernels/webgpu/gpu.js";
import { stepScalarCount, stepScalarSlot } from "../../kernels/webgpu/step-scalars.js";
import { type ParamName, paramNames, type Sae } from "../../model/sae.js";
import type { AuxkSpec, EngineConfig, StepEngine, StepOutcome } from "../step-engine.js";
import type { TrainerState } from "../trainer.js";
import { recordStep } from "./record-step.js";
import { allocateStepBuffers, releaseStepBuffers } from "./step-buffers.js";

/**
 * The training step on a GPU (issue 17): the SAE's parameters, their Adam moments,
 * the score matrix and every per-step array stay on the device across steps. A
 * step uploads its batch, records the whole step (record-step.ts), submits it, and
 * reads back only the step's scalars and the per-latent firing counts: the
 * dead-latent tracker and τ's EMA stay on the host, in float64, as in host-step.ts.
 * The parameters come back to the host arrays only when the trainer asks
 * (checkpoints, and b_enc, γ, α at metric lines: syncToHost).
 *
 * Where its bits differ from the host engine's: WGSL has no float64, so what the
 * host computes in float64 (n_t, ‖w_j‖, the dot products u and a, the reductions of
 * the backward pass, the loss sums, r^α) is float32 here, summed in a fixed order,
 * and the GEMM sums in its own order. Each agrees with the float64 reference to
 * about 1e-6 relative; selections can then differ where two scores are that close.
 * The same seed gives the same bits on the same adapter: no float atomics.
 */
export function deviceStepEngine(
  gpu: Gpu,
  sae: Sae,
  state: TrainerState,
  config: EngineConfig,
  clock?: PhaseClock,
): StepEngine {
  const b = gpu.allocateAll(() => allocateStepBuffers(gpu, sae, state, config));
  const { m } = sae.config;
  // ‖w_j‖ is left by Adam's encoder pass after the first step (the cosine family).
  let normsOnDevice = false;
  // What the host arrays already hold of the device's parameters: a step makes them stale,
  // and the trainer's final sync after its last checkpoint then reads nothing again.
  let hostHolds: "nothing" | "small" | "all" = "all";
  // The benchmark's phase breakdown: GPU time per phase from timestamp queries.
  const profiling = clock !== undefined && gpu.startProfiling();
  return {
    overlapsData: true,
    async step(x: Float32Array, step: number, lr: number, auxk: AuxkSpec | null): Promise<StepOutcome> {
      gpu.write(b.x, x);
      const kAux = auxk ? Math.min(auxk.kAux, auxk.deadIds.length) : 0;
      if (b.aux && auxk && kAux > 0) gpu.write(b.aux.deadIds, Uint32Array.from(auxk.deadIds));
      const auxInputs = auxk && kAux > 0 ? { columns: auxk.deadIds.length, kAux, coef: auxk.coef } : null;
      recordStep(gpu, b, sae, config, { step, lr, auxk: auxInputs, computeNorms: !normsOnDevice });
      normsOnDevice = isCosine(sae.config.score);
      hostHolds = "nothing";
      const scalars = await gpu.readFloat32(b.scalars, stepScalarCount);
      const counts = await gpu.readUint32(b.backward.latentCounts, m);
      if (clock) {
        // The host's share (recording, submitting, waiting) is in tokens/s; the phases are the GPU's.
        if (profiling) for (const [phase, ms] of await gpu.takeProfile()) clock.add(phase, ms);
        clock.restart();
      }
      const fired: number[] = [];
      for (let j = 0; j < m; j++) if (counts[j]! > 0) fired.push(j);
      const slot = stepScalarSlot;
      return {
        loss: scalars[slot.loss]!,
        mse: scalars[slot.mse]!,
        auxLoss: scalars[slot.auxLoss]!,
        fvu: scalars[slot.fvu]!,
        kept: scalars[slot.kept]!,
        minKept: scalars[slot.minKept]!,
        fired,
      };
    },
    async syncToHost(what: "small" | "all"): Promise<void> {
      if (hostHolds === "all" || hostHolds === what) return;
      const names: readonly ParamName[] = what === "all" ? paramNames : ["bEnc", "logGain", "alpha"];
      for (const name of names) {
        const host = sae.params[name];
        if (host.length === 0) continue;
        host.set(await gpu.readFloat32(b.params[name], host.length));
        if (what !== "all") continue;
        state.moments[name].first.set(await gpu.readFloat32(b.first[name], host.length));
        state.moments[name].second.set(await gpu.readFloat32(b.second[name], host.length));
      }
      hostHolds = what;
    },
    dispose(): void {
      releaseStepBuffers(gpu, b);
    },
  };
}
