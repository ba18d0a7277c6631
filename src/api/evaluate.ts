/**
 * Evaluation for library users: every measure of DESIGN §4 on held-out
 * tokens — FVU, L0, dead and dense latents, α, concept alignment, norm
 * detectors, slot share of high-norm tokens, decoder match on synthetic data,
 * k-sparse probing and first-letter feature absorption, and the spliced loss
 * when a model is at hand.
 */
import { activationSection, syntheticSection } from "../compare/section-data.js";
import type { ConceptGroup } from "../concepts/concept-bank.js";
import type { SyntheticConfig } from "../data/synthetic.js";
import { defaultEvalOptions, type EvalReport, type EvalSet, evaluateSae } from "../evaluation/evaluate.js";
import type { Sae } from "../model/sae.js";
import { type KernelSet, withKernels } from "./kernels.js";

export type { AlphaReport } from "../evaluation/alpha-report.js";
export type { EvalReport, EvalSet, Histogram, SplicedLoss } from "../evaluation/evaluate.js";
export type { AbsorptionReport, LetterAbsorption } from "../evaluation/feature-absorption.js";
export type { ProbeScore } from "../evaluation/logistic-probe.js";
export type { SlotShareByNorm } from "../evaluation/slot-share.js";
export type { ProbingReport, ProbingScores } from "../evaluation/sparse-probing.js";

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** the kernels to run on (default: the fastest here, opened for this call) */
  kernels?: KernelSet;
  /** tokens encoded at a time (bounds the score matrix; default 4096) */
  chunkRows?: number;
}

/**
 * Every measure of one SAE on an evaluation set: held-out raw activations
 * `{ x, rows }`, with token concepts and true feature directions when known
 * (see {@link syntheticEvalSet} and {@link evaluateOnDataset}). `splicedLoss` is null here.
 */
export async function evaluate(sae: Sae, set: EvalSet, options: EvaluateOptions = {}): Promise<EvalReport> {
  if (set.x.length !== set.rows * sae.config.d)
    throw new RangeError(
      `evaluate: the set holds ${set.x.length} values, but rows × d = ${set.rows} × ${sae.config.d}`,
    );
  const evalOptions = { ...defaultEvalOptions, chunkRows: options.chunkRows ?? defaultEvalOptions.chunkRows };
  return withKernels(options.kernels, (kernels) => evaluateSae(sae, set, kernels, evalOptions));
}

/**
 * Held-out tokens of the synthetic dataset (a stream training never sees),
 * with their ground truth: the true features are both the concepts and the
 * directions the decoder should find.
 */
export function syntheticEvalSet(tokens = 16384, config: Partial<SyntheticConfig> = {}): EvalSet {
  return syntheticSection(config, tokens).evalSet;
}

/** Options of {@link evaluateOnDataset}. */
export interface DatasetEvalOptions {
  /** held-out rows at the end of the dataset (default 32768; 16384 for the synthetic default) */
  evalTokens?: number;
  /** the model for the spliced loss (default: the dataset manifest's), as in `cosae eval --model` */
  model?: string;
  /** concept groups built from the tokens' text (default all: class, word, pos, sentence, token) */
  conceptGroups?: readonly ConceptGroup[];
  /** the kernels to run on (default: the fastest here, opened for this call) */
  kernels?: KernelSet;
}

/**
 * `cosae eval` as a function: evaluates SAEs on the last `evalTokens` rows of
 * an activation dataset (`path`; null for the synthetic default), with concepts
 * from the tokens' text and the spliced loss when the dataset names its model
 * and hook. Returns one report per SAE, in order.
 */
export async function evaluateOnDataset(
  saes: readonly Sae[],
  path: string | null,
  options: DatasetEvalOptions = {},
): Promise<EvalReport[]> {
  return withKernels(options.kernels, async (kernels) => {
    const section =
      path === null
        ? syntheticSection({}, options.evalTokens ?? 16384)
        : await activationSection(path, {
            heldOut: options.evalTokens ?? 32768,
            model: options.model ?? null,
            concepts: options.conceptGroups ? { groups: options.conceptGroups } : {},
            kernels,
          });
    const reports: EvalReport[] = [];
    for (const [i, sae] of saes.entries()) {
      if (sae.config.d !== section.d)
        throw new Error(
          `evaluateOnDataset: SAE ${i} has d = ${sae.config.d} but ${path ?? "the synthetic data"} has d = ${section.d}`,
        );
      const report = await evaluateSae(sae, section.evalSet, kernels);
      if (section.meter) report.splicedLoss = await section.meter.measure(sae);
      reports.push(report);
    }
    return reports;
  });
}

export type { ConceptGroup } from "../concepts/concept-bank.js";
export { fireCounts, meanL0 } from "../evaluation/firing.js";
export { fractionOfVarianceUnexplained } from "../evaluation/fvu.js";
