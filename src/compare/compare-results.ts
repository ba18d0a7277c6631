/**
 * What `cosae compare` measures and writes to compare-results.json; the HTML
 * report (src/report/) is drawn from this and nothing else.
 */
import type { EvalReport } from "../evaluation/evaluate.js";
import type { ScoreKind } from "../kernels/score-family.js";
import type { CosineOrigin } from "../model/config.js";
import type { AlphaStep } from "../training/alpha-steps.js";
import type { MeasureFormat } from "../util/number-format.js";

export type { AlphaStep };

/** One score family: a training setup that differs from the others only where named. */
export interface FamilySpec {
  /** e.g. "inner", "inner-equalize", "cosine-equivariant" */
  name: string;
  score: ScoreKind;
  decode: "plain" | "equivariant";
  reweight: "none" | "equalize";
  /** what the cosine looks at (absent in results written before it: centred) */
  cosineOf?: CosineOrigin;
}

/** One trained SAE and its held-out measures. */
export interface CompareRun {
  family: string;
  k: number;
  /** the run folder, relative to the compare output folder */
  runDir: string;
  /** wall-clock training time, null when a finished run was reused */
  trainSeconds: number | null;
  report: EvalReport;
  /** α during training, from the run's metrics.jsonl (one entry per logged step); null for a family without α */
  alphaSteps: AlphaStep[] | null;
}

/** The measures interpolated at the target FVU (see matched.ts), by name. */
export interface MatchedRow {
  family: string;
  /** the k at which the family's FVU meets the target (interpolated in log k) */
  k: number;
  /** FVU of the family's run closest to the target, minus the target */
  nearestGap: number;
  /** true when the target lies between two of the family's runs; false when clamped to the nearest run */
  bracketed: boolean;
  measures: Record<string, number | null>;
}

/** A measure's label and how to show it, shared by the table and the report. */
export interface MeasureInfo {
  key: string;
  label: string;
  format: MeasureFormat;
  help: string;
  /** false: in the JSON and the plots, not a table column */
  table?: false;
}

/** The families read off at one target FVU. */
export interface MatchedTarget {
  targetFvu: number;
  /** where the target came from, e.g. "FVU of inner at k = 4" */
  targetFrom: string;
  matched: MatchedRow[];
}

/** One dataset's comparison: all runs on it, and the matched tables. */
export interface CompareSection {
  /** e.g. "synthetic default" or "stories260K blocks.3.hook_resid_pre" */
  title: string;
  /** the model hook of the activations (absent for synthetic data) */
  hook?: string;
  /** one line on the data: rows, d, source, held-out tokens */
  data: string;
  /**
   * The main target (inner's FVU at the base k, or the middle given one) and its
   * matched rows: the same as its entry in `targets`, for readers of one target.
   */
  targetFvu: number;
  targetFrom: string;
  runs: CompareRun[];
  matched: MatchedRow[];
  /** every target, by falling FVU (inner at k/2, k, 2k by default), each with its matched rows */
  targets: MatchedTarget[];
  /** what could not be measured on this data, and why */
  notes: string[];
}

export interface CompareResults {
  createdBy: string;
  createdAt: string;
  /** training settings shared by every run (m, batchSize, steps, lr, seed, the k list …) */
  settings: Record<string, unknown>;
  families: FamilySpec[];
  measures: MeasureInfo[];
  sections: CompareSection[];
  seconds: number;
}

/** A section's targets; a compare-results.json written before there were several holds only the one. */
export function sectionTargets(section: CompareSection): MatchedTarget[] {
  return (
    (section as Partial<CompareSection>).targets ?? [
      { targetFvu: section.targetFvu, targetFrom: section.targetFrom, matched: section.matched },
    ]
  );
}
