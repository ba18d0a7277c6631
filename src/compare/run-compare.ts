/**
 * One section of `cosae compare`: train every family at every k on the same
 * data (same seed, so the same data order), evaluate each SAE on the held-out
 * tokens, and read every measure off at the target FVU.
 *
 * Each family runs at every k of the grid and then, unless the grid was
 * given, at halved or doubled k until its FVUs bracket the target, so the
 * matched measures are interpolated rather than read off the nearest run.
 *
 * Runs live in `<out>/<family>-k<k>/`. A run whose run.json asks for exactly
 * this training is reused when finished and resumed when not, so an
 * interrupted comparison picks up where it stopped; anything else there is
 * replaced.
 */
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { evaluateSae } from "../evaluation/evaluate.js";
import { readSaeFolder } from "../io/sae-folder.js";
import type { Kernels } from "../kernels/kernels.js";
import type { Sae } from "../model/sae.js";
import { type RunSpec, trainRun, validateRunSpec } from "../training/run-folder.js";
import type { StepMetrics } from "../training/trainer.js";
import type { CompareRun, CompareSection, FamilySpec } from "./compare-results.js";
import { matchAtFvu } from "./matched.js";
import { readMeasures } from "./measures.js";
import type { SectionData } from "./section-data.js";

export interface CompareOptions {
  families: FamilySpec[];
  /** the k grid every family is trained at */
  ks: number[];
  /** halve or double k beyond the grid (up to 3 more runs) until each family brackets the target FVU */
  extendKs: boolean;
  /** the k whose `inner` FVU is the target (unless targetFvu is given) */
  baseK: number;
  targetFvu: number | null;
  /** training options shared by every run (m, steps, batchSize, lr, seed …) */
  training: { m: number } & Record<string, unknown>;
  kernels: Kernels;
  /** progress of one run's training: label, metrics, total steps */
  onMetrics?: (label: string, metrics: StepMetrics, steps: number) => void;
  log?: (line: string) => void;
}

export async function runCompareSection(
  section: SectionData,
  out: string,
  options: CompareOptions,
): Promise<CompareSection> {
  const runs: CompareRun[] = [];
  const runAt = async (family: FamilySpec, k: number): Promise<CompareRun> => {
    const existing = runs.find((r) => r.family === family.name && r.k === k);
    if (existing) return existing;
    const run = await trainAndEvaluate(section, out, family, k, options);
    runs.push(run);
    return run;
  };
  // The reference family first: its run at the configured k sets the target (DESIGN §4's default).
  const reference = options.families.find((f) => f.name === "inner") ?? options.families[0]!;
  const target =
    options.targetFvu === null
      ? {
          targetFvu: (await runAt(reference, options.baseK)).report.fvu,
          targetFrom: `FVU of ${reference.name} at k = ${options.baseK}`,
        }
      : { targetFvu: options.targetFvu, targetFrom: "given (--targetFvu)" };

  for (const family of options.families) {
    for (const k of options.ks) await runAt(family, k);
    if (!options.extendKs) continue;
    // Halve or double k beyond the grid until the family's runs bracket the target.
    for (let extra = 0; extra < maxExtraRuns; extra++) {
      const own = runs.filter((r) => r.family === family.name);
      const reachesBelow = own.some((r) => r.report.fvu <= target.targetFvu);
      const reachesAbove = own.some((r) => r.report.fvu >= target.targetFvu);
      if (reachesBelow && reachesAbove) break;
      const ks = own.map((r) => r.k);
      const next = reachesBelow ? Math.floor(Math.min(...ks) / 2) : 2 * Math.max(...ks);
      if (next < 1 || next > options.training.m) break;
      await runAt(family, next);
    }
  }
  const order = (r: CompareRun) => options.families.findIndex((f) => f.name === r.family);
  runs.sort((a, b) => order(a) - order(b) || a.k - b.k);
  const matched = options.families.map((f) =>
    matchAtFvu(
      f.name,
      runs
        .filter((r) => r.family === f.name)
        .map((r) => ({ k: r.k, fvu: r.report.fvu, measures: readMeasures(r.report) })),
      target.targetFvu,
    ),
  );
  return { title: section.title, data: section.data, ...target, runs, matched, notes: section.notes };
}

/** At most this many runs are added to a family's k grid to bracket the target. */
const maxExtraRuns = 3;

async function trainAndEvaluate(
  section: SectionData,
  out: string,
  family: FamilySpec,
  k: number,
  options: CompareOptions,
): Promise<CompareRun> {
  const runDir = `${family.name}-k${k}`;
  const spec = validateRunSpec(
    {
      ...options.training,
      score: family.score,
      decode: family.decode,
      reweight: family.reweight,
      k,
      data: section.runData,
    },
    `${section.title}: ${runDir}`,
  );
  const label = `${section.slug} ${runDir}`;
  const trained = await trainOrReuse(join(out, runDir), spec, options.kernels, (m) =>
    options.onMetrics?.(label, m, spec.train.steps),
  );
  const report = await evaluateSae(trained.sae, section.evalSet, options.kernels);
  if (section.meter) report.splicedLoss = await section.meter.measure(trained.sae);
  options.log?.(
    `${label}: FVU ${report.fvu.toFixed(4)}, L0 ${report.l0.toFixed(2)}` +
      (trained.seconds === null ? " (reused)" : ` (${trained.seconds.toFixed(0)} s)`),
  );
  return { family: family.name, k, runDir, trainSeconds: trained.seconds, report };
}

/** The SAE of a finished run asking for the same training, the resumed one of an unfinished one, or a fresh run. */
async function trainOrReuse(
  runDir: string,
  spec: RunSpec,
  kernels: Kernels,
  onMetrics: (m: StepMetrics) => void,
): Promise<{ sae: Sae; seconds: number | null }> {
  const specPath = join(runDir, "run.json");
  let resume = false;
  if (existsSync(specPath)) {
    if (await sameTraining(specPath, spec)) {
      if (existsSync(join(runDir, "sae", "cfg.json"))) {
        return { sae: (await readSaeFolder(join(runDir, "sae"))).sae, seconds: null };
      }
      resume = existsSync(join(runDir, "checkpoints"));
    }
    if (!resume) await rm(runDir, { recursive: true });
  }
  const started = performance.now();
  const sae = await trainRun(runDir, resume ? null : spec, { resume, kernels, onMetrics });
  return { sae, seconds: (performance.now() - started) / 1000 };
}

async function sameTraining(specPath: string, spec: RunSpec): Promise<boolean> {
  let existing: RunSpec;
  try {
    existing = validateRunSpec(JSON.parse(await readFile(specPath, "utf8")), specPath);
  } catch {
    return false;
  }
  const dataKey = (s: RunSpec) =>
    s.data.activations
      ? { path: resolve(s.data.activations.path), holdOut: s.data.activations.holdOut }
      : s.data.synthetic;
  return isDeepStrictEqual(existing.train, spec.train) && isDeepStrictEqual(dataKey(existing), dataKey(spec));
}
