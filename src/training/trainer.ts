import type { ActivationSource } from "../data/source.js";
import { type AdamMoments, adamMoments } from "../kernels/adam.js";
import type { Kernels } from "../kernels/kernels.js";
import type { PhaseClock } from "../kernels/phase-clock.js";
import type { WebgpuKernels } from "../kernels/webgpu/webgpu-kernels.js";
import { initSae } from "../model/init.js";
import { type ParamName, paramNames, type Sae } from "../model/sae.js";
import { Workspace } from "../model/workspace.js";
import { fiveNumberSummary } from "../util/quantile.js";
import { Rng } from "../util/rng.js";
import { yieldToEvents } from "../util/yield-to-events.js";
import { DeadLatentTracker } from "./dead-latents.js";
import { deviceStepEngine } from "./device/device-step.js";
import { checkFiniteParams, TrainingDivergedError } from "./finite-params.js";
import { hostStepEngine } from "./host-step.js";
import { learningRate } from "./schedule.js";
import type { StepEngine } from "./step-engine.js";
import { type ResolvedTrainConfig, saeConfigOf } from "./train-config.js";

/** Everything besides the SAE that a resumed run needs to continue exactly. */
export interface TrainerState {
  /** optimizer steps completed */
  step: number;
  moments: Record<ParamName, AdamMoments>;
  tokensSinceFired: Float64Array;
  /** how many batches have fed the threshold EMA */
  thresholdUpdates: number;
}

/** What one logged training step measured (the lines of metrics.jsonl). */
export interface StepMetrics {
  step: number;
  tokens: number;
  loss: number;
  mse: number;
  auxLoss: number;
  /** batch FVU in scaled units */
  fvu: number;
  l0: number;
  deadFraction: number;
  lr: number;
  threshold: number;
  /** mean α (blend, blend-feature) */
  alpha: number | null;
  /** min, q1, median, q3, max of the α_j (blend-feature only; absent for one scalar α or none) */
  alphaQuartiles?: [number, number, number, number, number];
  tokensPerSecond: number;
}

export interface TrainHooks {
  onMetrics?(metrics: StepMetrics): void;
  /**
   * Called every `checkpointEvery` steps, every `checkpointMinutes`, after the
   * last step, and when `shouldStop` asks to stop; the parameters are checked
   * finite first.
   */
  onCheckpoint?(sae: Sae, state: TrainerState): Promise<void>;
  /** polled before each step: true ends training early (after a checkpoint), e.g. on SIGINT */
  shouldStop?(): boolean;
  /** charged with the time of each phase of every step (data, scores, transform+select, decode, auxk, backward, optimizer) */
  clock?: PhaseClock;
}

/** A new SAE initialised from the first training batches, and a fresh trainer state. */
export async function startTraining(
  config: ResolvedTrainConfig,
  source: ActivationSource,
): Promise<{ sae: Sae; state: TrainerState }> {
  const { d } = source;
  const saeConfig = saeConfigOf(config, d);
  const batches = Math.ceil(config.initTokens / config.batchSize);
  const sample = new Float32Array(batches * config.batchSize * d);
  for (let b = 0; b < batches; b++)
    sample.set(await source.trainBatch(b, config.batchSize), b * config.batchSize * d);
  const rows = Math.min(config.initTokens, batches * config.batchSize);
  const sae = initSae(saeConfig, sample, rows, new Rng(config.seed, 1), config.bDecInit);
  const moments = {} as Record<ParamName, AdamMoments>;
  for (const name of paramNames) moments[name] = adamMoments(sae.params[name].length);
  return {
    sae,
    state: { step: 0, moments, tokensSinceFired: new Float64Array(config.m), thresholdUpdates: 0 },
  };
}

/**
 * Runs optimizer steps from `state.step` to `config.steps`, mutating `sae` and
 * `state`. The gradients and the step's large arrays live in `workspace`,
 * reused from step to step (nothing here keeps a step's forward); a caller that
 * trains in several calls (the benchmark) may pass its own to keep them warm.
 */
export async function train(
  sae: Sae,
  state: TrainerState,
  source: ActivationSource,
  config: ResolvedTrainConfig,
  kernels: Kernels,
  hooks: TrainHooks = {},
  workspace = new Workspace(),
): Promise<{ stopped: boolean }> {
  const B = config.batchSize;
  const dead = new DeadLatentTracker(state.tokensSinceFired, config.deadTokens);
  let windowStart = performance.now();
  let windowTokens = 0;

  const clock = hooks.clock;
  const engine = stepEngineFor(sae, state, config, kernels, workspace, clock);
  // The next batch, produced while the current step runs (engine.overlapsData).
  let prefetched: Promise<Float32Array> | null = null;
  let checkpointedStep = state.step;
  let checkpointedAt = performance.now();
  const checkpoint = async () => {
    await engine.syncToHost("all");
    checkFiniteParams(sae, state.step, config.lr);
    if (!hooks.onCheckpoint || checkpointedStep === state.step) return;
    await hooks.onCheckpoint(sae, state);
    checkpointedStep = state.step;
    checkpointedAt = performance.now();
  };
  try {
    while (state.step < config.steps) {
      if (hooks.shouldStop) {
        // A step may never wait on I/O (synthetic data): let pending signals be handled first.
        await yieldToEvents();
        if (hooks.shouldStop()) {
          await checkpoint();
          return { stopped: true };
        }
      }
      const step = state.step;
      clock?.restart();
      const x = await (prefetched ?? source.trainBatch(step, B));
      prefetched = null;
      const deadIds = config.auxkCoef > 0 ? dead.deadIds() : new Int32Array(0);
      const auxk = deadIds.length > 0 ? { deadIds, kAux: config.kAux, coef: config.auxkCoef } : null;
      clock?.lap("data");
      const lr = learningRate(step, config.steps, config.lr, config.warmupSteps, config.decayFraction);
      const pending = engine.step(x, step, lr, auxk);
      if (engine.overlapsData && step + 1 < config.steps) {
        prefetched = Promise.resolve(source.trainBatch(step + 1, B));
        prefetched.catch(() => {}); // awaited (and its error thrown) at the next step
      }
      const out = await pending;
      if (!Number.isFinite(out.loss)) {
        throw new TrainingDivergedError(
          `training diverged at step ${step}: the loss is ${out.loss}, so no SAE was written; lower --lr ` +
            `(it was ${config.lr}), or check the input for NaN/Inf`,
        );
      }
      dead.update(B, out.fired);
      // τ: EMA of the smallest kept positive pre-activation, started after warm-up, in float64.
      if (
        sae.config.activation === "batchtopk" &&
        step >= config.warmupSteps &&
        Number.isFinite(out.minKept)
      ) {
        const c = sae.constants;
        c.threshold =
          state.thresholdUpdates === 0
            ? out.minKept
            : c.threshold + config.thresholdRate * (out.minKept - c.threshold);
        state.thresholdUpdates++;
      }
      state.step++;
      windowTokens += B;

      const last = state.step === config.steps;
      const logNow = state.step % config.logEvery === 0 || last;
      if (logNow) {
        // The per-latent parameters (where an overflowing gain shows first; a non-finite
        // W_enc or W_dec makes the next loss non-finite), so a diverged run stops near
        // where it went wrong; every parameter is checked before each checkpoint.
        await engine.syncToHost("small");
        checkFiniteParams(sae, state.step, config.lr, "small");
      }
      if (hooks.onMetrics && logNow) {
        const now = performance.now();
        const alpha = sae.params.alpha;
        hooks.onMetrics({
          step: state.step,
          tokens: state.step * B,
          loss: out.loss,
          mse: out.mse,
          auxLoss: out.auxLoss,
          fvu: out.fvu,
          l0: out.kept / B,
          deadFraction: dead.deadCount() / sae.config.m,
          lr,
          threshold: sae.constants.threshold,
          alpha: alpha.length > 0 ? mean(alpha) : null,
          ...(alpha.length > 1 ? { alphaQuartiles: fiveNumberSummary(alpha) } : {}),
          tokensPerSecond: (windowTokens * 1000) / Math.max(now - windowStart, 1e-9),
        });
        windowStart = now;
        windowTokens = 0;
      }
      const byTime =
        config.checkpointMinutes > 0 &&
        performance.now() - checkpointedAt >= config.checkpointMinutes * 60_000;
      if (last || byTime || (config.checkpointEvery > 0 && state.step % config.checkpointEvery === 0)) {
        await checkpoint();
      }
    }
  } finally {
    // The host arrays are the SAE the caller keeps, whatever happened on the device.
    await engine.syncToHost("all").catch(() => {});
    engine.dispose();
  }
  return { stopped: false };
}

/** The device engine for kernels that hold a GPU (the webgpu set), else the host engine. */
function stepEngineFor(
  sae: Sae,
  state: TrainerState,
  config: ResolvedTrainConfig,
  kernels: Kernels,
  workspace: Workspace,
  clock?: PhaseClock,
): StepEngine {
  // The webgpu set holds a GPU: the whole step runs there, parameters resident.
  const gpu = (kernels as Partial<WebgpuKernels>).gpu;
  if (gpu) return deviceStepEngine(gpu, sae, state, config, clock);
  return hostStepEngine(sae, state, config, kernels, workspace, clock);
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
}
