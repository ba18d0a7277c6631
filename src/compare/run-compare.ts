/**
 * One section of `cosae compare`: train every family at every k on the same
 * data (same seed, so the same data order), evaluate each SAE on the held-out
 * tokens, and read every measure off at each target FVU (by default inner's at
 * k/2, k and 2k of the base k: DESIGN §4 asks for several).
 *
 * Each family runs at every k of the grid and then, unless the grid was
 * given, at halved or doubled k until its FVUs bracket every target, so the
 * matched measures are interpolated rather than read off the nearest run; a
 * target a family still does not bracket is named in the section's notes.
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
import { readAlphaSteps } from "../training/alpha-steps.js";
import { fingerprintDataset } from "../training/data-fingerprint.js";
import { type RunSpec, trainRun, validateRunSpec } from "../training/run-folder.js";
import { removeRun, runFolderState } from "../training/run-folder-state.js";
import { takeRunLock } from "../training/run-lock.js";
import type { StepMetrics } from "../training/trainer.js";
import type { CompareRun, CompareSection, FamilySpec, MatchedTarget } from "./compare-results.js";
import { matchAtFvu } from "./matched.js";
import { readMeasures } from "./measures.js";
import type { SectionData } from "./section-data.js";

export interface CompareOptions {
  families: FamilySpec[];
  /** the k grid every family is trained at */
  ks: number[];
  /** halve or double k beyond the grid (up to 3 more runs) until each family brackets every target FVU */
  extendKs: boolean;
  /**
   * the base k: the targets are `inner`'s FVU at k/2, k and 2k (unless targetFvus
   * are given); with a grid given whole, at those of them in the grid
   */
  baseK: number;
  /** the FVUs to match at instead; the middle one is the main target */
  targetFvus: readonly number[] | null;
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
  // The reference family first: its runs at k/2, k and 2k set the targets (DESIGN §4's default).
  const reference = options.families.find((f) => f.name === "inner") ?? options.families[0]!;
  const targets: Target[] = [];
  if (options.targetFvus === null) {
    // A grid given whole (no extension) is all that runs: the targets are then those of its k.
    const ks = targetKs(options.baseK, options.training.m).filter(
      (k) => options.extendKs || options.ks.includes(k),
    );
    for (const k of ks)
      targets.push({
        targetFvu: (await runAt(reference, k)).report.fvu,
        targetFrom: `FVU of ${reference.name} at k = ${k}`,
        main: k === options.baseK,
      });
  } else {
    const given = [...new Set(options.targetFvus)].sort((a, b) => b - a);
    for (const [i, f] of given.entries())
      targets.push({ targetFvu: f, targetFrom: "given (--targetFvu)", main: i === given.length >> 1 });
  }
  const lowest = Math.min(...targets.map((t) => t.targetFvu));
  const highest = Math.max(...targets.map((t) => t.targetFvu));

  for (const family of options.families) {
    for (const k of options.ks) await runAt(family, k);
    if (!options.extendKs) continue;
    // Halve or double k beyond the grid until the family's runs bracket every target.
    for (let extra = 0; extra < maxExtraRuns; extra++) {
      const own = runs.filter((r) => r.family === family.name);
      const reachesAbove = own.some((r) => r.report.fvu >= highest);
      const reachesBelow = own.some((r) => r.report.fvu <= lowest);
      if (reachesAbove && reachesBelow) break;
      const ks = own.map((r) => r.k);
      const halved = Math.floor(Math.min(...ks) / 2);
      const doubled = 2 * Math.max(...ks);
      // A smaller k reconstructs worse (higher FVU), a larger one better.
      const next =
        !reachesAbove && halved >= 1
          ? halved
          : !reachesBelow && doubled <= options.training.m
            ? doubled
            : null;
      if (next === null) break;
      await runAt(family, next);
    }
  }
  const order = (r: CompareRun) => options.families.findIndex((f) => f.name === r.family);
  runs.sort((a, b) => order(a) - order(b) || a.k - b.k);
  const pointsOf = (family: string) =>
    runs
      .filter((r) => r.family === family)
      .map((r) => ({ k: r.k, fvu: r.report.fvu, measures: readMeasures(r.report) }));
  const matchedTargets: MatchedTarget[] = targets.map((t) => ({
    targetFvu: t.targetFvu,
    targetFrom: t.targetFrom,
    matched: options.families.map((f) => matchAtFvu(f.name, pointsOf(f.name), t.targetFvu)),
  }));
  const main = matchedTargets.find((_, i) => targets[i]!.main) ?? matchedTargets[0]!;
  const notes = [...section.notes, ...unbracketedNotes(matchedTargets, runs)];
  for (const note of notes.slice(section.notes.length)) options.log?.(`note: ${note}`);
  return {
    title: section.title,
    ...(section.hook === null ? {} : { hook: section.hook }),
    data: section.data,
    targetFvu: main.targetFvu,
    targetFrom: main.targetFrom,
    runs,
    matched: main.matched,
    targets: matchedTargets,
    notes,
  };
}

interface Target {
  targetFvu: number;
  targetFrom: string;
  /** the target the single-target readers (compare-results.json's `matched`) get */
  main: boolean;
}

/** The k of the reference runs whose FVUs are the default targets: k/2, k and 2k (within 1 … m). */
export function targetKs(baseK: number, m: number): number[] {
  return [...new Set([Math.max(1, baseK >> 1), baseK, 2 * baseK])].filter((k) => k <= m);
}

/** One line per family and target its runs do not bracket, saying where its runs lie. */
function unbracketedNotes(targets: readonly MatchedTarget[], runs: readonly CompareRun[]): string[] {
  const notes: string[] = [];
  for (const t of targets) {
    for (const row of t.matched) {
      if (row.bracketed) continue;
      const own = runs.filter((r) => r.family === row.family);
      const fvus = own.map((r) => r.report.fvu);
      const ks = own.map((r) => r.k);
      notes.push(
        `${row.family} does not bracket the target FVU ${t.targetFvu.toFixed(4)} (${t.targetFrom}): ` +
          `its runs span FVU ${Math.min(...fvus).toFixed(4)}–${Math.max(...fvus).toFixed(4)} ` +
          `at k ${Math.min(...ks)}–${Math.max(...ks)}, so its run at k = ${row.k} stands in`,
      );
    }
  }
  return notes;
}

/** At most this many runs are added to a family's k grid to bracket the targets. */
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
  // α over training from the run's own log, so a reused run has it too.
  const alphaSteps = report.alpha === null ? null : await readAlphaSteps(join(out, runDir));
  return { family: family.name, k, runDir, trainSeconds: trained.seconds, report, alphaSteps };
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
