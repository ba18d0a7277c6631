import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import {
  type ActivationDataConfig,
  openActivationData,
  validateActivationDataConfig,
} from "../data/activation-data-config.js";
import type { ActivationDataset } from "../data/activation-dataset.js";
import type { ActivationSource } from "../data/source.js";
import { type SyntheticConfig, SyntheticDataset, validateSyntheticConfig } from "../data/synthetic.js";
import { syntheticSource } from "../data/synthetic-source.js";
import { writeFileAtomic, writeJsonAtomic } from "../io/atomic-write.js";
import { replaceFolder, writeSaeFolder } from "../io/sae-folder.js";
import type { Kernels } from "../kernels/kernels.js";
import type { Sae } from "../model/sae.js";
import { describeSystemError, systemErrorCode, withPathContext } from "../util/system-error.js";
import { checkpointName, loadCheckpoint, saveCheckpoint } from "./checkpoint.js";
import { checkFingerprint, type DataFingerprint, fingerprintDataset } from "./data-fingerprint.js";
import { TrainingDivergedError } from "./finite-params.js";
import {
  metricsFile,
  type RunFolderState,
  removeLeftovers,
  removeRunOutputs,
  runFile,
  runFolderState,
  saeFolder,
} from "./run-folder-state.js";
import { takeRunLock } from "./run-lock.js";
import {
  checkWarmup,
  type ResolvedTrainConfig,
  resolveTrainConfig,
  saeConfigOf,
  type TrainConfig,
  validateTrainConfig,
} from "./train-config.js";
import { type StepMetrics, startTraining, type TrainerState, train } from "./trainer.js";
import { checkTrainingMemory } from "./training-memory.js";

/**
 * A training run in a folder:
 *   run.json        what was asked (training options and data, and the data's fingerprint), written first
 *   run.lock        who is running it now (run-lock.ts)
 *   metrics.jsonl   one JSON line per `logEvery` steps
 *   checkpoints/    see checkpoint.ts
 *   sae/            the final SAE (cfg.json + sae_weights.safetensors)
 * Resuming reads run.json and the latest checkpoint, trims metrics.jsonl back
 * to that step, and continues to the same result as an uninterrupted run. A
 * run with no checkpoint yet (killed before the first, or stopped by bad
 * data) starts again from step 0, so a run killed at any moment can go on.
 */
export interface RunSpec {
  train: TrainConfig;
  /** the activation dataset's fingerprint as recorded when the run started (absent for synthetic data) */
  dataFingerprint?: DataFingerprint;
  /** the built-in synthetic data (the default), or an activation dataset on disk */
  data:
    | { synthetic: SyntheticConfig; activations?: never }
    | { activations: ActivationDataConfig; synthetic?: never };
}

const dataSources = ["synthetic", "activations"];

export function validateRunSpec(raw: unknown, where: string): RunSpec {
  if (!isObject(raw))
    throw new Error(`${where}: expected a JSON object, got ${JSON.stringify(raw)?.slice(0, 40)}`);
  const { data, dataFingerprint, ...train } = raw;
  if (data !== undefined && !isObject(data))
    throw new Error(`${where}: "data" must be an object ({"synthetic": {...}} or {"activations": {...}})`);
  const dataObj = data ?? {};
  const fingerprint = validateFingerprint(dataFingerprint, where);
  const unknownData = Object.keys(dataObj).filter((k) => !dataSources.includes(k));
  if (unknownData.length > 0) {
    throw new Error(
      `${where}: unknown data source "${unknownData[0]}" (expected "synthetic" or "activations")`,
    );
  }
  if (dataObj.activations !== undefined) {
    if (dataObj.synthetic !== undefined) {
      throw new Error(`${where}: data has both "synthetic" and "activations"; give one data source`);
    }
    const activations = validateActivationDataConfig(dataObj.activations, `${where}: data.activations`);
    if (activations.epochs !== null && train.steps !== undefined) {
      throw new Error(`${where}: give "steps" or data.activations.epochs, not both`);
    }
    return {
      train: validateTrainConfig(train, where, activations.epochs === null),
      data: { activations },
      ...fingerprint,
    };
  }
  let synthetic: SyntheticConfig;
  try {
    synthetic = validateSyntheticConfig(dataObj.synthetic ?? {});
  } catch (e) {
    throw new Error(`${where}: data.synthetic: ${(e as Error).message}`);
  }
  return { train: validateTrainConfig(train, where), data: { synthetic } };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function validateFingerprint(raw: unknown, where: string): { dataFingerprint?: DataFingerprint } {
  if (raw === undefined) return {};
  if (!isObject(raw) || Object.values(raw).some((v) => typeof v !== "string"))
    throw new Error(
      `${where}: "dataFingerprint" must map file names to strings (cosae writes it; do not edit it)`,
    );
  return { dataFingerprint: raw as DataFingerprint };
}

/**
 * The run's training source, its training options with steps fixed (an
 * `epochs` request becomes a step count), and what run.json records: for an
 * activation dataset its absolute path, observed rows and d, and fingerprint
 * (steps are left out when epochs set them, so resume derives them the same way).
 */
async function openRunData(
  spec: RunSpec,
  where: string,
): Promise<{
  source: ActivationSource;
  train: TrainConfig;
  record: Record<string, unknown>;
  /** the dataset on disk (null for synthetic data, which its config defines) */
  dataset: ActivationDataset | null;
}> {
  if (!spec.data.activations) {
    const source = syntheticSource(new SyntheticDataset(spec.data.synthetic));
    return { source, train: spec.train, record: { ...spec.train, data: spec.data }, dataset: null };
  }
  const { source, recorded } = await openActivationData(spec.data.activations, spec.train.seed);
  const { dataset } = source;
  const { epochs } = recorded;
  if (epochs === null)
    return { source, train: spec.train, record: { ...spec.train, data: { activations: recorded } }, dataset };
  const steps = Math.max(1, Math.ceil((epochs * source.plan.rows) / spec.train.batchSize));
  const train = { ...spec.train, steps };
  checkWarmup(train, `${where} (steps = ${steps} from epochs)`);
  const { steps: _derived, ...asked } = spec.train;
  return { source, train, record: { ...asked, data: { activations: recorded } }, dataset };
}

export interface RunOptions {
  resume: boolean;
  /** start a run that has checkpoints again from step 0 with the spec given, replacing its own files */
  restart?: boolean;
  kernels: Kernels;
  onMetrics?: (m: StepMetrics) => void;
  /** called once the data is open, before the first step: the resolved options and the data source */
  onStart?: (config: ResolvedTrainConfig, source: ActivationSource) => void;
  /** notes for the user (a restart from step 0, a stale lock taken over, leftovers removed) */
  log?: (line: string) => void;
  /** polled before each step: a signal stops the run after a checkpoint (RunInterrupted) */
  stopRequested?: () => NodeJS.Signals | null;
}

/** A run stopped by a signal after writing a checkpoint: `--resume` continues it. */
export class RunInterrupted extends Error {
  override name = "RunInterrupted";
  constructor(
    message: string,
    readonly signal: NodeJS.Signals,
  ) {
    super(message);
  }
}

export async function trainRun(runDir: string, requested: RunSpec | null, options: RunOptions): Promise<Sae> {
  const log = options.log ?? (() => undefined);
  const specPath = join(runDir, runFile);
  const metricsPath = join(runDir, metricsFile);
  // The folder, the options and the data are checked before anything is written.
  const before = runFolderState(runDir);
  const spec = await runSpecOf(runDir, before, requested, options);
  const { source, train: trainConfig, record, dataset } = await openRunData(spec, specPath);
  const config = resolveTrainConfig(trainConfig, source.d);
  checkTrainingMemory(config, source.d);
  const fingerprint = dataset && (await fingerprintDataset(dataset));
  const resuming = before.kind === "checkpointed" && !options.restart;
  if (resuming && dataset && fingerprint && spec.dataFingerprint)
    checkFingerprint(spec.dataFingerprint, fingerprint, dataset, specPath);

  await withPathContext("--out", runDir, () => mkdir(runDir, { recursive: true }));
  const release = takeRunLock(runDir, log);
  try {
    if (runFolderState(runDir).kind !== before.kind)
      throw new Error(
        `${runDir} changed while this run was starting (another process?); run the command again`,
      );
    await removeLeftovers(runDir, log);
    const metadata = { data: source.description, train: config };
    let sae: Sae;
    let state: TrainerState;
    if (resuming) {
      const loaded = await loadCheckpoint(runDir);
      checkSameRun(config, source.d, loaded, specPath);
      ({ sae, state } = loaded);
      await trimMetrics(metricsPath, state.step);
    } else {
      if (before.kind === "unstarted") {
        log(
          `note: ${runDir} holds a run that never reached a checkpoint (${runFile}, no checkpoints/latest.json); ` +
            `starting it again from step 0${options.resume ? ` with its ${runFile}` : " with the options given"}`,
        );
      } else if (before.kind === "checkpointed") {
        log(
          `note: --restart: starting the run in ${runDir} again from step 0; its checkpoints and SAE are replaced`,
        );
      }
      await removeRunOutputs(runDir);
      await writeJsonAtomic(specPath, fingerprint ? { ...record, dataFingerprint: fingerprint } : record);
      await writeFileAtomic(metricsPath, "");
      ({ sae, state } = await startTraining(config, source));
    }
    options.onStart?.(config, source);

    let checkpointed: number | null = resuming ? state.step : null;
    const intact = () =>
      checkpointed === null
        ? `no checkpoint was written yet: run the same command again to start over`
        : `the checkpoint at step ${checkpointed} is intact: free space if needed and continue with --resume`;
    const { stopped } = await train(sae, state, source, config, options.kernels, {
      onMetrics: (m) => {
        options.onMetrics?.(m);
        try {
          appendFileSync(metricsPath, `${JSON.stringify(m)}\n`);
        } catch (e) {
          throw new Error(`${describeSystemError(e, metricsPath)} at step ${m.step}; ${intact()}`, {
            cause: e,
          });
        }
      },
      onCheckpoint: async (s, st) => {
        try {
          await saveCheckpoint(runDir, s, st, metadata);
        } catch (e) {
          throw new Error(
            `the checkpoint of step ${st.step} could not be written: ${describeWriteError(e)}; ${intact()}`,
            { cause: e },
          );
        }
        checkpointed = st.step;
      },
      shouldStop: () => options.stopRequested?.() != null,
    }).catch((e: unknown) => {
      if (!(e instanceof TrainingDivergedError)) throw e;
      // Resuming would diverge again: the fix is other options, so a fresh start.
      const next =
        checkpointed === null
          ? `run the command again with them into ${runDir} (it has no checkpoint, so it starts over)`
          : `start it again with them and --restart (its checkpoints would diverge again), or use another --out`;
      throw new Error(`${e.message}; ${next}`, { cause: e });
    });
    if (stopped) {
      const signal = options.stopRequested!()!;
      const where =
        checkpointed === null
          ? "before its first step, with nothing to keep"
          : `after writing ${join(runDir, "checkpoints", checkpointName(state.step))}`;
      throw new RunInterrupted(
        `${signal}: stopped at step ${state.step} of ${config.steps} ${where}; ` +
          `continue with: cosae train --out ${runDir} --resume`,
        signal,
      );
    }
    checkThresholdSet(sae, state, config);
    const saePath = join(runDir, saeFolder);
    try {
      await replaceFolder(saePath, (tmp) => writeSaeFolder(tmp, sae, metadata));
    } catch (e) {
      throw new Error(`the final SAE could not be written: ${describeWriteError(e)}; ${intact()}`, {
        cause: e,
      });
    }
    return sae;
  } finally {
    release();
  }
}

/** The spec this run trains: the one asked for, or for --resume the folder's run.json. Refuses what it cannot do. */
async function runSpecOf(
  runDir: string,
  state: RunFolderState,
  requested: RunSpec | null,
  { resume, restart }: RunOptions,
): Promise<RunSpec> {
  const specPath = join(runDir, runFile);
  const stored = () => {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(specPath, "utf8"));
    } catch (e) {
      throw new Error(
        `${specPath}: cannot read the run's options (${(e as Error).message}); is ${runDir} a cosae run?`,
      );
    }
    return validateRunSpec(raw, specPath);
  };
  if (resume) {
    if (state.kind === "empty") throw new Error(`${specPath}: not found; nothing to resume in ${runDir}`);
    return stored();
  }
  if (!requested) throw new Error("trainRun: a run spec is required for a new run");
  if (state.kind === "checkpointed" && !restart) {
    throw new Error(
      state.finished
        ? `--out ${runDir} already holds a run, finished (${saeFolder}/ is written); choose another --out, ` +
            "or pass --restart to train it again from step 0"
        : `--out ${runDir} already holds a run with a checkpoint at step ${state.step}; pass --resume to continue it, ` +
            "--restart to start it again from step 0 with these options, or choose another --out",
    );
  }
  if (state.kind !== "empty") stored(); // refuses a run.json that is not a cosae run's before replacing it
  return requested;
}

/** The options that shape the weights: a checkpoint trained with others is not this run's. */
function checkSameRun(
  config: ResolvedTrainConfig,
  d: number,
  loaded: { sae: Sae; folder: string; trainedWith: Record<string, unknown> },
  specPath: string,
): void {
  const want = saeConfigOf(config, d) as unknown as Record<string, unknown>;
  const have = loaded.sae.config as unknown as Record<string, unknown>;
  const fix =
    "the run's options changed since it started: restore run.json, or train a new run into another --out";
  for (const key of Object.keys(want)) {
    if (want[key] !== have[key])
      throw new Error(
        `${specPath} gives ${key} = ${want[key]}, but the checkpoint ${loaded.folder} holds an SAE with ${key} = ${have[key]}; ${fix}`,
      );
  }
  const resolved = config as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(loaded.trainedWith)) {
    if (key in resolved && !isDeepStrictEqual(resolved[key], value))
      throw new Error(
        `${specPath} gives ${key} = ${JSON.stringify(resolved[key])}, but the checkpoint ${loaded.folder} was trained with ` +
          `${JSON.stringify(value)}; ${fix}`,
      );
  }
}

/**
 * A batchtopk SAE infers with τ, the average over the batches after warm-up:
 * checkWarmup leaves at least one, but if none kept a positive score τ was
 * never set, and such an SAE would fire every positive score.
 */
function checkThresholdSet(sae: Sae, state: TrainerState, config: ResolvedTrainConfig): void {
  if (sae.config.activation !== "batchtopk" || state.thresholdUpdates > 0) return;
  throw new Error(
    `no batch after warm-up (--warmupSteps ${config.warmupSteps} of --steps ${config.steps}) set the threshold τ, ` +
      "so the SAE was not written: raise --steps or lower --warmupSteps",
  );
}

/** A write failure in one sentence naming the file. */
function describeWriteError(e: unknown): string {
  const path = (e as { path?: unknown }).path;
  if (systemErrorCode(e) !== undefined && typeof path === "string") return describeSystemError(e, path);
  return (e as Error).message ?? String(e);
}

/**
 * Drops metric lines after `step`, torn lines, and any line that does not
 * advance the step, so a resumed log reads like an uninterrupted one.
 */
async function trimMetrics(path: string, step: number): Promise<void> {
  const text = existsSync(path) ? await readFile(path, "utf8") : "";
  let previous = 0;
  const kept = text
    .split("\n")
    .filter((line) => {
      let s: unknown;
      try {
        s = (JSON.parse(line) as StepMetrics).step;
      } catch {
        return false;
      }
      if (!(typeof s === "number" && s > previous && s <= step)) return false;
      previous = s;
      return true;
    })
    .map((l) => `${l}\n`)
    .join("");
  await writeFileAtomic(path, kept);
}
