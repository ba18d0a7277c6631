/** The runs of a section grouped by family, and each family's run nearest the target FVU. */
import type { CompareRun, CompareSection } from "../compare/compare-results.js";
import { type FamilyStyles, inFamilyOrder } from "./palette.js";

/** Family → its runs sorted by k, families in palette order. */
export function runsByFamily(section: CompareSection, styles: FamilyStyles): Map<string, CompareRun[]> {
  const out = new Map<string, CompareRun[]>();
  for (const name of inFamilyOrder(
    styles,
    section.runs.map((r) => r.family),
  )) {
    out.set(
      name,
      section.runs.filter((r) => r.family === name).sort((a, b) => a.k - b.k),
    );
  }
  return out;
}

/** The run whose FVU is closest to `target` (runs without a finite FVU are skipped). */
export function nearestRun(runs: readonly CompareRun[], target: number): CompareRun | null {
  let best: CompareRun | null = null;
  for (const r of runs) {
    if (!Number.isFinite(r.report.fvu)) continue;
    if (best === null || Math.abs(r.report.fvu - target) < Math.abs(best.report.fvu - target)) best = r;
  }
  return best;
}

/** Family → its run nearest the section's target FVU, in palette order. */
export function nearestRuns(section: CompareSection, styles: FamilyStyles): Map<string, CompareRun> {
  const out = new Map<string, CompareRun>();
  for (const [name, runs] of runsByFamily(section, styles)) {
    const r = nearestRun(runs, section.targetFvu);
    if (r) out.set(name, r);
  }
  return out;
}
