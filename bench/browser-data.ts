/**
 * The browser benchmark's data, made in a child process of its own (so the
 * parent's peak RSS is that of the cache builds and the server alone):
 * harvest `blocks.3.hook_resid_pre` of stories260K over the TinyStories corpus,
 * then train an inner-product and a cosine SAE (m latents, k = 32) for a few
 * dozen steps at a high learning rate, enough for latents that fire on varied
 * tokens. Writes `<folder>/data` (shards with token ids), `<folder>/inner`,
 * `<folder>/cosine` (SAE folders) and `<folder>/prepared.json` (what it did).
 *
 *   node dist/bench/browser-data.js FOLDER TOKENS LATENTS STEPS THREADS
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ActivationDataset } from "../src/data/activation-dataset.js";
import { ActivationStreamSource } from "../src/data/activation-source.js";
import { harvest } from "../src/data/harvest.js";
import { writeJsonAtomic } from "../src/io/atomic-write.js";
import { writeSaeFolder } from "../src/io/sae-folder.js";
import { chooseKernels } from "../src/kernels/choose-kernels.js";
import type { ScoreKind } from "../src/kernels/score-family.js";
import { resolveTrainConfig, validateTrainConfig } from "../src/training/train-config.js";
import { startTraining, train } from "../src/training/trainer.js";
import { loadTransformer } from "../src/transformer/load-model.js";
import { measurePeak } from "./peak.js";

const repoRoot = resolve(fileURLToPath(import.meta.url), "..", "..", "..");
export const modelPath = resolve(repoRoot, "..", "shared", "models", "stories260K", "stories260K.bin");
export const corpusPath = resolve(repoRoot, "..", "shared", "corpus", "tinystories-2MiB.txt");
export const hook = "blocks.3.hook_resid_pre";
export const browserBenchK = 32;
const BATCH = 4096;
const LR = 1e-2;
/**
 * The inference threshold τ follows the last few batches (the default EMA rate, 0.01, would
 * still remember the first steps' large codes after a run this short, and few latents would fire).
 */
const THRESHOLD_RATE = 0.5;

export interface PreparedSae {
  score: ScoreKind;
  folder: string;
  trainSeconds: number;
  steps: number;
  /** the last step's batch FVU and L0 */
  fvu: number;
  l0: number;
}

export interface Prepared {
  data: string;
  rows: number;
  harvestSeconds: number;
  harvestTokensPerSecond: number;
  kernels: string;
  /** the fp32 GEMM peak, measured here first, before anything else runs */
  peak: { gflops: number; shape: string };
  saes: PreparedSae[];
  maxRssMiB: number;
}

export function preparedPath(folder: string): string {
  return join(folder, "prepared.json");
}

async function prepare(folder: string, tokens: number, m: number, steps: number, threads: number) {
  const kernels = await chooseKernels(threads);
  try {
    const peak = await measurePeak(kernels);
    const model = await loadTransformer(modelPath);
    const data = join(folder, "data");
    const harvested = await harvest({
      model,
      modelPath,
      text: corpusPath,
      outputs: [{ hook, folder: data }],
      contextLength: 256,
      batchTokens: 8192,
      maxRows: tokens,
      skipBos: true,
      shardRows: 65536,
      dtype: "f32",
      fileFormat: "safetensors",
      resume: false,
      kernels,
    });
    process.stderr.write(
      `harvested ${harvested.rows[0]} rows of ${hook} in ${harvested.seconds.toFixed(1)} s\n`,
    );
    const dataset = await ActivationDataset.open(data);
    const saes: PreparedSae[] = [];
    // Each its own seed (initialisation and batch order), as two separate runs would have.
    for (const [seed, score] of (["inner", "cosine"] as const).entries()) {
      const start = performance.now();
      const options = {
        ...{ score, m, k: browserBenchK, batchSize: BATCH, steps },
        ...{ lr: LR, warmupSteps: 0, thresholdRate: THRESHOLD_RATE, seed },
      };
      const config = resolveTrainConfig(validateTrainConfig(options, "browser bench"), dataset.d);
      const source = new ActivationStreamSource(dataset, { seed });
      const { sae, state } = await startTraining(config, source);
      const last = { fvu: Number.NaN, l0: Number.NaN };
      await train(sae, state, source, { ...config, logEvery: steps }, kernels, {
        onMetrics: (metrics) => {
          last.fvu = metrics.fvu;
          last.l0 = metrics.l0;
        },
      });
      const saeFolder = join(folder, score);
      await writeSaeFolder(saeFolder, sae, { data: source.description, train: config });
      const trainSeconds = (performance.now() - start) / 1000;
      const { fvu, l0 } = last;
      process.stderr.write(
        `trained ${score} (m ${m}, k ${browserBenchK}) for ${steps} steps in ${trainSeconds.toFixed(1)} s: ` +
          `batch FVU ${fvu.toFixed(3)}\n`,
      );
      saes.push({ score, folder: saeFolder, trainSeconds, steps, fvu, l0 });
    }
    const prepared: Prepared = {
      data,
      rows: dataset.rows,
      harvestSeconds: harvested.seconds,
      harvestTokensPerSecond: harvested.tokensPerSecond,
      kernels: kernels.name,
      peak,
      saes,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    };
    await writeJsonAtomic(preparedPath(folder), prepared);
  } finally {
    await kernels.dispose();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [folder, tokens, m, steps, threads] = process.argv.slice(2);
  await prepare(folder!, Number(tokens), Number(m), Number(steps), Number(threads));
}
