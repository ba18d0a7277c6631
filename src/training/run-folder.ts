import { appendFileSync, existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type SyntheticConfig, SyntheticDataset, validateSyntheticConfig } from "../data/synthetic.js";
import { syntheticSource } from "../data/synthetic-source.js";
import { writeJsonAtomic } from "../io/atomic-write.js";
import { replaceFolder, writeSaeFolder } from "../io/sae-folder.js";
import type { Kernels } from "../kernels/kernels.js";
import type { Sae } from "../model/sae.js";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.js";
import { resolveTrainConfig, type TrainConfig, validateTrainConfig } from "./train-config.js";
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
  data: { synthetic: SyntheticConfig };
}

export function validateRunSpec(raw: unknown, where: string): RunSpec {
  if (typeof raw !== "object" || raw === null) throw new Error(`${where}: expected a JSON object`);
  const { data, ...train } = raw as Record<string, unknown>;
  const dataObj = (data ?? {}) as Record<string, unknown>;
  const unknownData = Object.keys(dataObj).filter((k) => k !== "synthetic");
  if (unknownData.length > 0)
    throw new Error(`${where}: unknown data source "${unknownData[0]}" (expected "synthetic")`);
  let synthetic: SyntheticConfig;
  try {
    synthetic = validateSyntheticConfig(dataObj.synthetic ?? {});
  } catch (e) {
    throw new Error(`${where}: data.synthetic: ${(e as Error).message}`);
  }
  return { train: validateTrainConfig(train, where), data: { synthetic } };
}

export interface RunOptions {
  resume: boolean;
  kernels: Kernels;
  onMetrics?: (m: StepMetrics) => void;
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
    await mkdir(runDir, { recursive: true });
    await writeJsonAtomic(specPath, { ...spec.train, data: spec.data });
  }
  const dataset = new SyntheticDataset(spec.data.synthetic);
  const source = syntheticSource(dataset);
  const config = resolveTrainConfig(spec.train, source.d);
  const metadata = { data: source.description, train: config };

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
