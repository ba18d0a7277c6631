/**
 * `cosae compare` for library users: train score families at several k on
 * the same data, evaluate each on held-out tokens, and read every measure off
 * at matched reconstruction (the same FVU).
 */
import { join } from "node:path";
import type { CompareSection } from "../compare/compare-results.js";
import { defaultFamilies, parseFamily } from "../compare/families.js";
import { runCompareSection } from "../compare/run-compare.js";
import { activationSection, syntheticSection } from "../compare/section-data.js";
import type { ConceptGroup } from "../concepts/concept-bank.js";
import type { TrainConfig } from "../training/train-config.js";
import type { StepMetrics } from "../training/trainer.js";
import { type KernelSet, withKernels } from "./kernels.js";

export type {
  AlphaStep,
  CompareRun,
  CompareSection,
  FamilySpec,
  MatchedRow,
  MatchedTarget,
} from "../compare/compare-results.js";

/** The score families `cosae compare` trains by default (the paper's, plus both decodings). */
export const scoreFamilies: readonly string[] = defaultFamilies;

/** Options of {@link compareFamilies}, with `cosae compare`'s defaults. */
export interface CompareFamiliesOptions {
  /** output folder; runs go to `<out>/<data>/<family>-k<k>/` and are reused or resumed on a second call */
  out: string;
  /** an activation file or shard folder; null or absent: the synthetic default */
  data?: string | null;
  /** family names such as "inner", "cosine-equivariant", "inner-equalize" (default {@link scoreFamilies}) */
  families?: readonly string[];
  /** the base k: the targets are `inner`'s FVU at k/2, k and 2k (default 8) */
  k?: number;
  /** the k grid (default k/2, k, 2k, then halved or doubled until each family brackets every target) */
  ks?: readonly number[];
  /** match at this FVU, or these, instead of inner's at k/2, k and 2k (the middle one is the main target) */
  targetFvu?: number | readonly number[];
  /** training options shared by every run (defaults m 1024, steps 1000, batchSize 1024, lr 3e-3, seed 0) */
  training?: Partial<TrainConfig>;
  /** held-out tokens (default 16384 synthetic, 32768 for activations) */
  evalTokens?: number;
  /** the model for the spliced loss (default: the dataset manifest's) */
  model?: string;
  /** concept groups for real text (default all) */
  conceptGroups?: readonly ConceptGroup[];
  /** progress of each run: its label, metrics and total steps */
  onMetrics?: (label: string, metrics: StepMetrics, steps: number) => void;
  /** one line per event (run started, reused …) */
  log?: (line: string) => void;
  /** the kernels to run on (default: the fastest here, opened for this call) */
  kernels?: KernelSet;
}

/**
 * Compares score families at matched reconstruction on one dataset and
 * returns the section `cosae compare` prints: every run with its measures and
 * the matched table.
 */
export async function compareFamilies(options: CompareFamiliesOptions): Promise<CompareSection> {
  const families = (options.families ?? defaultFamilies).map(parseFamily);
  const baseK = options.k ?? 8;
  const ks = options.ks
    ? [...new Set(options.ks)].sort((a, b) => a - b)
    : [...new Set([Math.max(1, baseK >> 1), baseK, 2 * baseK])];
  if (options.targetFvu === undefined && !ks.includes(baseK))
    throw new Error(
      `compareFamilies: option "ks" (${ks.join(",")}) must include "k" (${baseK}), whose inner FVU is the target`,
    );
  const training = {
    m: 1024,
    steps: 1000,
    batchSize: 1024,
    lr: 3e-3,
    seed: 0,
    logEvery: 10,
    ...options.training,
  };
  return withKernels(options.kernels, async (kernels) => {
    const data = options.data ?? null;
    const section =
      data === null
        ? syntheticSection({}, options.evalTokens ?? 16384)
        : await activationSection(data, {
            heldOut: options.evalTokens ?? 32768,
            model: options.model ?? null,
            concepts: options.conceptGroups ? { groups: options.conceptGroups } : {},
            kernels,
          });
    return runCompareSection(section, join(options.out, section.slug), {
      families,
      ks,
      extendKs: options.ks === undefined,
      baseK,
      targetFvus:
        options.targetFvu === undefined
          ? null
          : typeof options.targetFvu === "number"
            ? [options.targetFvu]
            : options.targetFvu,
      training,
      kernels,
      ...(options.onMetrics ? { onMetrics: options.onMetrics } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
  });
}
