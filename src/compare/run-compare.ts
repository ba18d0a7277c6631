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
 * this training on the same data (its fingerprint) is reused when finished
 * and resumed when not, so an interrupted comparison picks up where it
 * stopped; a run trained otherwise is replaced (its own files only), and a
 * folder that is not a run is refused.
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { ActivationDataset } from "../data/activation-dataset.js";
import { evaluateSae } from "../evaluation/evaluate.js";
import { readSaeFolder } from "../io/sae-folder.js";
import type { Kernels } from "../kernels/kernels.js";
import type { Sae } from "../model/sae.js";
import { fingerprintDataset } from "../training/data-fingerprint.js";
import { type RunSpec, trainRun, validateRunSpec } from "../training/run-folder.js";
import { removeRun, runFolderState } from "../training/run-folder-state.js";
import { takeRunLock } from "../training/run-lock.js";
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
  /** polled before each training step: a signal stops the comparison after a checkpoint */
  stopRequested?: () => NodeJS.Signals | null;
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
  return {
    title: section.title,
    ...(section.hook === null ? {} : { hook: section.hook }),
    data: section.data,
    ...target,
    runs,
    matched,
    notes: section.notes,
  };
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
      cosineOf: family.cosineOf ?? "centred",
      k,
      data: section.runData,
    },
    `${section.title}: ${runDir}`,
  );
  const label = `${section.slug} ${runDir}`;
  const trained = await trainOrReuse(join(out, runDir), spec, options, (m) =>
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
  options: CompareOptions,
  onMetrics: (m: StepMetrics) => void,
): Promise<{ sae: Sae; seconds: number | null }> {
  const log = options.log ?? (() => undefined);
  const state = runFolderState(runDir, "compare: the run folder");
  let resume = false;
  if (state.kind !== "empty") {
    const why = await otherTraining(join(runDir, "run.json"), spec);
    if (why === null) {
      if (state.kind === "checkpointed" && state.finished)
        return { sae: (await readSaeFolder(join(runDir, "sae"))).sae, seconds: null };
      resume = true; // from its checkpoint, or from step 0 when it has none
    } else {
      log(`note: ${runDir} holds a run trained ${why}; training it again`);
      const release = takeRunLock(runDir, log); // not while a `cosae train` works in it
      try {
        await removeRun(runDir);
      } finally {
        release();
      }
    }
  }
  const started = performance.now();
  const sae = await trainRun(runDir, resume ? null : spec, {
    resume,
    kernels: options.kernels,
    onMetrics,
    log,
    stopRequested: options.stopRequested,
  });
  return { sae, seconds: (performance.now() - started) / 1000 };
}

/** Why the run at `specPath` is not the training `spec` asks for, or null when it is. */
async function otherTraining(specPath: string, spec: RunSpec): Promise<string | null> {
  let existing: RunSpec;
  try {
    existing = validateRunSpec(JSON.parse(await readFile(specPath, "utf8")), specPath);
  } catch {
    return "with a run.json cosae cannot read";
  }
  const dataKey = (s: RunSpec) =>
    s.data.activations
      ? { path: resolve(s.data.activations.path), holdOut: s.data.activations.holdOut }
      : s.data.synthetic;
  if (!isDeepStrictEqual(existing.train, spec.train)) return "with other options";
  if (!isDeepStrictEqual(dataKey(existing), dataKey(spec))) return "on other data";
  const activations = spec.data.activations;
  if (activations && existing.dataFingerprint) {
    const dataset = await ActivationDataset.open(activations.path, { nonFinite: activations.nonFinite });
    if (!isDeepStrictEqual(await fingerprintDataset(dataset), existing.dataFingerprint))
      return `on data that has changed since (${activations.path})`;
  }
  return null;
}
