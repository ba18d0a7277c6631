/**
 * What the task measures (k-sparse probing, feature absorption) can say
 * about an eval set before any SAE is evaluated: a phrase for the section's
 * data line (the task count and the raw-activation ceiling, which every SAE
 * shares) and notes on what cannot be measured here, and why.
 */
import type { EvalOptions, EvalSet } from "./evaluate.js";
import { firstLetterProbes } from "./first-letter-probes.js";
import { probeTasks } from "./probe-tasks.js";
import { probingCeiling } from "./sparse-probing.js";

export function taskMeasuresSummary(
  set: EvalSet,
  options: Pick<EvalOptions, "probing" | "absorption">,
): { data: string[]; notes: string[] } {
  const data: string[] = [];
  const notes: string[] = [];
  if (options.probing) {
    const tasks = probeTasks(set, options.probing);
    if (!set.concepts) notes.push("k-sparse probing: not measured (no concept bank)");
    else if (tasks.length === 0)
      notes.push(
        `k-sparse probing: not measured (no concept holds on ≥ ${options.probing.minPositives} held-out tokens and off as many)`,
      );
    else {
      const ceiling = probingCeiling(set, options.probing);
      const mean = (f: (i: number) => number) => tasks.reduce((s, _, i) => s + f(i), 0) / tasks.length;
      const groups = new Map<string, number>();
      for (const t of tasks) groups.set(t.group, (groups.get(t.group) ?? 0) + 1);
      data.push(
        `${tasks.length} probing tasks (${[...groups].map(([g, n]) => `${g} ${n}`).join(", ")}), ` +
          `raw-activation ceiling accuracy ${mean((i) => ceiling[i]!.accuracy).toFixed(3)}, ` +
          `F1 ${mean((i) => ceiling[i]!.f1).toFixed(3)}`,
      );
    }
  }
  if (options.absorption) {
    const letters = firstLetterProbes(set, options.absorption);
    if (!set.tokenText)
      notes.push(
        "feature absorption: not measured (the held-out tokens have no text: synthetic data, or no token ids and vocab)",
      );
    else if (letters.length === 0)
      notes.push(
        `feature absorption: not measured (no letter starts ≥ ${options.absorption.minTokens} held-out tokens)`,
      );
    else {
      const f1 = letters.reduce((s, l) => s + l.probeF1, 0) / letters.length;
      data.push(`${letters.length} first-letter probes (mean F1 ${f1.toFixed(3)})`);
    }
  }
  return { data, notes };
}
