import type { Kernels } from "../kernels/kernels.js";
import type { PhaseClock } from "../kernels/phase-clock.js";
import { isCosine } from "../kernels/score-family.js";
import { backwardTraining, forwardTraining } from "../model/loss.js";
import { paramNames, type Sae, type SaeParams } from "../model/sae.js";
import type { Workspace } from "../model/workspace.js";
import type { AuxkSpec, EngineConfig, StepEngine, StepOutcome } from "./step-engine.js";
import type { TrainerState } from "./trainer.js";

/**
 * The training step on the host arrays of `sae` and `state`, through `kernels`
 * (DESIGN §3): forward and loss, backward, then Adam with the decoder's tangent
 * projection and renormalisation, and α's projection onto [0, 1]. The gradients and
 * the step's large arrays live in `workspace`, reused from step to step.
 */
export function hostStepEngine(
  sae: Sae,
  state: TrainerState,
  config: EngineConfig,
  kernels: Kernels,
  workspace: Workspace,
  clock?: PhaseClock,
): StepEngine {
  const { d, m } = sae.config;
  // Every entry is overwritten by each backward pass, so left-over contents do not matter.
  const grads = {} as SaeParams;
  for (const name of paramNames)
    grads[name] = workspace.take(`∂${name}`, Float32Array, sae.params[name].length);
  // ‖w_j‖ of the encoder as the last Adam step left it (none before the first step).
  let encoderNorm: Float64Array | undefined;
  return {
    overlapsData: false,
    async step(x: Float32Array, step: number, lr: number, auxkSpec: AuxkSpec | null): Promise<StepOutcome> {
      const B = config.batchSize;
      const auxk = auxkSpec
        ? { dead: deadMask(auxkSpec.deadIds, m), kAux: auxkSpec.kAux, coef: auxkSpec.coef }
        : null;
      const options = { reweight: config.reweight, auxk, workspace, encoderNorm };
      const fwd = await forwardTraining(sae, x, B, kernels, options, clock);
      if (!Number.isFinite(fwd.loss)) return outcome(fwd);
      backwardTraining(sae, fwd, kernels, grads, clock);
      // The decoder's tangent projection, Adam step and renormalisation run fused per row,
      // unless clipping needs the global norm of the projected gradients in between.
      const clip = config.clipGradNorm > 0;
      if (clip) {
        kernels.projectToTangent(sae.params.decoder, grads.decoder, d);
        clipGlobalNorm(grads, config.clipGradNorm);
      }
      for (const name of paramNames) {
        if (sae.params[name].length === 0) continue;
        if (name === "decoder" && !clip)
          kernels.adamUpdateOnSphere(
            sae.params.decoder,
            grads.decoder,
            state.moments.decoder,
            step + 1,
            lr,
            d,
          );
        // The cosine family's next step needs ‖w_j‖: computed while each row is in cache.
        else if (name === "encoder" && isCosine(sae.config.score))
          encoderNorm = kernels.adamUpdateRowNorms(
            sae.params.encoder,
            grads.encoder,
            state.moments.encoder,
            step + 1,
            lr,
            d,
          );
        else kernels.adamUpdate(sae.params[name], grads[name], state.moments[name], step + 1, lr);
      }
      if (clip) kernels.normaliseRows(sae.params.decoder, d);
      // α = clamp(θ, 0, 1), kept exactly in range by projection after every step.
      const alpha = sae.params.alpha;
      for (let i = 0; i < alpha.length; i++) alpha[i] = Math.min(1, Math.max(0, alpha[i]!));
      clock?.lap("optimizer");
      return outcome(fwd);
    },
    async syncToHost(): Promise<void> {},
    dispose(): void {},
  };
}

function outcome(fwd: Awaited<ReturnType<typeof forwardTraining>>): StepOutcome {
  return {
    loss: fwd.loss,
    mse: fwd.mse,
    auxLoss: fwd.aux?.loss ?? 0,
    fvu: fwd.fvu,
    kept: fwd.codes.rowStart[fwd.codes.rows]!,
    minKept: fwd.minKept,
    fired: fwd.codes.index,
  };
}

function deadMask(deadIds: Int32Array, m: number): Uint8Array {
  const mask = new Uint8Array(m);
  for (const j of deadIds) mask[j] = 1;
  return mask;
}

function clipGlobalNorm(grads: SaeParams, maxNorm: number): void {
  let sumSq = 0;
  for (const name of paramNames) for (const g of grads[name]) sumSq += g * g;
  const norm = Math.sqrt(sumSq);
  if (norm <= maxNorm) return;
  const factor = maxNorm / norm;
  for (const name of paramNames) {
    const g = grads[name];
    for (let i = 0; i < g.length; i++) g[i]! *= factor;
  }
}
