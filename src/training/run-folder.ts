import { appendFileSync, existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type ActivationDataConfig,
  openActivationData,
  validateActivationDataConfig,
} from "../data/activation-data-config.js";
import type { ActivationSource } from "../data/source.js";
import { type SyntheticConfig, SyntheticDataset, validateSyntheticConfig } from "../data/synthetic.js";
import { syntheticSource } from "../data/synthetic-source.js";
import { writeJsonAtomic } from "../io/atomic-write.js";
import { replaceFolder, writeSaeFolder } from "../io/sae-folder.js";
import type { Kernels } from "../kernels/kernels.js";
import type { Sae } from "../model/sae.js";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.js";
import {
  type ResolvedTrainConfig,
  resolveTrainConfig,
  type TrainConfig,
  validateTrainConfig,
} from "./train-config.js";
import { type StepMetrics, startTraining, train } from "./trainer.js";

/**
 * A training run in a folder:
 *   run.json        what was asked (training options and data), written first
 *   metrics.jsonl   one JSON line per `logEvery` steps
 *   checkpoints/    see checkpoint.ts
 *   sae/            the final SAE (cfg.json + sae_weights.safetensors)
 * Resuming reads run.json and the latest checkpoint, trims metrics.jsonl back
 * to that step, and continues to the same result as an uninterrupted run.
 */
export interface RunSpec {
  train: TrainConfig;
  /** the built-in synthetic data (the default), or an activation dataset on disk */
  data:
    | { synthetic: SyntheticConfig; activations?: never }
    | { activations: ActivationDataConfig; synthetic?: never };
}

const dataSources = ["synthetic", "activations"];

export function validateRunSpec(raw: unknown, where: string): RunSpec {
  if (typeof raw !== "object" || raw === null) throw new Error(`${where}: expected a JSON object`);
  const { data, ...train } = raw as Record<string, unknown>;
  const dataObj = (data ?? {}) as Record<string, unknown>;
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
    return { train: validateTrainConfig(train, where), data: { activations } };
  }
  let synthetic: SyntheticConfig;
  try {
    synthetic = validateSyntheticConfig(dataObj.synthetic ?? {});
  } catch (e) {
    throw new Error(`${where}: data.synthetic: ${(e as Error).message}`);
  }
  return { train: validateTrainConfig(train, where), data: { synthetic } };
}

/**
 * The run's training source, its training options with steps fixed (an
 * `epochs` request becomes a step count), and what run.json records: for an
 * activation dataset its absolute path and observed rows and d (steps are
 * left out when epochs set them, so resume derives them the same way).
 */
async function openRunData(
  spec: RunSpec,
): Promise<{ source: ActivationSource; train: TrainConfig; record: Record<string, unknown> }> {
  if (!spec.data.activations) {
    const source = syntheticSource(new SyntheticDataset(spec.data.synthetic));
    return { source, train: spec.train, record: { ...spec.train, data: spec.data } };
  }
  const { source, recorded } = await openActivationData(spec.data.activations, spec.train.seed);
  const { epochs } = recorded;
  if (epochs === null)
    return { source, train: spec.train, record: { ...spec.train, data: { activations: recorded } } };
  const steps = Math.max(1, Math.ceil((epochs * source.plan.rows) / spec.train.batchSize));
  const { steps: _derived, ...asked } = spec.train;
  return { source, train: { ...spec.train, steps }, record: { ...asked, data: { activations: recorded } } };
}

export interface RunOptions {
  resume: boolean;
  kernels: Kernels;
  onMetrics?: (m: StepMetrics) => void;
  /** called once the data is open, before the first step: the resolved options and the data source */
  onStart?: (config: ResolvedTrainConfig, source: ActivationSource) => void;
}

export async function trainRun(runDir: string, requested: RunSpec | null, options: RunOptions): Promise<Sae> {
  const specPath = join(runDir, "run.json");
  const metricsPath = join(runDir, "metrics.jsonl");
  let spec: RunSpec;
  if (options.resume) {
    if (!existsSync(specPath)) throw new Error(`${specPath}: not found; nothing to resume in ${runDir}`);
    spec = validateRunSpec(JSON.parse(await readFile(specPath, "utf8")), specPath);
  } else {
    if (!requested) throw new Error("trainRun: a run spec is required for a new run");
    if (existsSync(specPath)) {
      throw new Error(
        `${runDir} already holds a run (run.json); pass --resume to continue it or choose another --out`,
      );
    }
    spec = requested;
  }
  // The data is opened (and checked) before anything is written.
  const { source, train: trainConfig, record } = await openRunData(spec);
  if (!options.resume) {
    await mkdir(runDir, { recursive: true });
    await writeJsonAtomic(specPath, record);
  }
  const config = resolveTrainConfig(trainConfig, source.d);
  const metadata = { data: source.description, train: config };
  options.onStart?.(config, source);

  const { sae, state } = options.resume ? await loadCheckpoint(runDir) : await startTraining(config, source);
  if (options.resume) await trimMetrics(metricsPath, state.step);
  else await writeFile(metricsPath, "");

  await train(sae, state, source, config, options.kernels, {
    onMetrics: (m) => {
      options.onMetrics?.(m);
      appendFileSync(metricsPath, `${JSON.stringify(m)}\n`);
    },
    onCheckpoint: async (s, st) => {
      await saveCheckpoint(runDir, s, st, metadata);
    },
  });
  await replaceFolder(join(runDir, "sae"), (tmp) => writeSaeFolder(tmp, sae, metadata));
  return sae;
}

/** Drops metric lines after `step` (and a torn last line), so a resumed log reads like an uninterrupted one. */
async function trimMetrics(path: string, step: number): Promise<void> {
  const text = existsSync(path) ? await readFile(path, "utf8") : "";
  const kept = text
    .split("\n")
    .filter((line) => {
      try {
        return (JSON.parse(line) as StepMetrics).step <= step;
      } catch {
        return false;
      }
    })
    .map((l) => `${l}\n`)
    .join("");
  await writeFile(path, kept);
}
