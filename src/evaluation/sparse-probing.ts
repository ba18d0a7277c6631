/**
 * k-sparse probing (DESIGN §4, after SAEBench): on each task's training rows
 * rank latents by |mean(z_j | y=1) − mean(z_j | y=0)|, keep the top k, fit a
 * logistic probe on their activations alone, and score it on the test rows.
 * The same probe on all d raw dimensions is the ceiling; it depends only on
 * the eval set, so it is fitted once per set.
 */
import type { SparseRows } from "../kernels/arrays.js";
import type { EvalSet } from "./evaluate.js";
import { fitProbe, type ProbeScore, scoreProbe } from "./logistic-probe.js";
import { oncePerSet } from "./per-set-cache.js";
import { type ProbeTask, type ProbingOptions, probeTasks } from "./probe-tasks.js";

/** Means over tasks: accuracy[i] and f1[i] belong to ks[i]. */
export interface ProbingScores {
  tasks: number;
  accuracy: number[];
  f1: number[];
  /** the probe on all d raw dimensions */
  ceiling: ProbeScore;
}

/** k-sparse probing of one SAE: means over all tasks, and per concept group. */
export interface ProbingReport extends ProbingScores {
  ks: number[];
  /** per concept group, in the bank's order */
  groups: ({ group: string } & ProbingScores)[];
}

/** The raw-activation probe of every task (fitted once per set). */
export function probingCeiling(set: EvalSet, options: ProbingOptions): ProbeScore[] {
  const tasks = probeTasks(set, options);
  return oncePerSet(set, "probing ceiling", options, () => tasks.map((t) => rawProbe(set, t, options)));
}

function rawProbe(set: EvalSet, task: ProbeTask, o: ProbingOptions): ProbeScore {
  const d = set.x.length / set.rows;
  const n = task.tokens.length;
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const t = task.tokens[i]!;
    for (let c = 0; c < d; c++) x[i * d + c] = set.x[t * d + c]!;
  }
  // L-BFGS on d features: tight enough that accuracy no longer moves, loose enough to stay fast.
  const probe = fitProbe(x, task.labels, task.train, d, o.penalty, { gradientTolerance: 1e-6 });
  return scoreProbe(probe, x, task.labels, task.train, n, d);
}

/**
 * The k-sparse probes of one SAE's codes on the set's tasks; null without
 * tasks (no concept bank, or no concept frequent enough).
 */
export function sparseProbing(
  codes: SparseRows,
  m: number,
  set: EvalSet,
  options: ProbingOptions,
): ProbingReport | null {
  const tasks = probeTasks(set, options);
  if (tasks.length === 0) return null;
  const ceiling = probingCeiling(set, options);
  const scratch = {
    onSum: new Float64Array(m),
    offSum: new Float64Array(m),
    seen: new Uint8Array(m),
    column: new Int32Array(m).fill(-1),
  };
  const perTask = tasks.map((t) => probeTask(codes, m, t, options, scratch));
  const summary = (indices: number[]): ProbingScores => ({
    tasks: indices.length,
    accuracy: options.ks.map((_, i) => mean(indices.map((t) => perTask[t]![i]!.accuracy))),
    f1: options.ks.map((_, i) => mean(indices.map((t) => perTask[t]![i]!.f1))),
    ceiling: {
      accuracy: mean(indices.map((t) => ceiling[t]!.accuracy)),
      f1: mean(indices.map((t) => ceiling[t]!.f1)),
    },
  });
  const groups = [...new Set(tasks.map((t) => t.group))];
  return {
    ks: [...options.ks],
    ...summary(tasks.map((_, i) => i)),
    groups: groups.map((group) => ({
      group,
      ...summary(tasks.flatMap((t, i) => (t.group === group ? [i] : []))),
    })),
  };
}

function mean(values: number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((s, v) => s + v, 0) / values.length;
}

/**
 * The latents ranked by |class-mean difference| on the training rows, best first
 * (ties: lower index). Only latents that fire on some training row can differ,
 * so only those are ranked; at most `count` are returned.
 */
export function rankLatents(
  codes: SparseRows,
  task: ProbeTask,
  count: number,
  scratch: { onSum: Float64Array; offSum: Float64Array; seen: Uint8Array },
): number[] {
  const { onSum, offSum, seen } = scratch;
  let on = 0;
  const touched: number[] = [];
  for (let i = 0; i < task.train; i++) {
    const t = task.tokens[i]!;
    const positive = task.labels[i] === 1;
    if (positive) on++;
    for (let e = codes.rowStart[t]!; e < codes.rowStart[t + 1]!; e++) {
      const j = codes.index[e]!;
      if (!seen[j]) {
        seen[j] = 1;
        touched.push(j);
      }
      if (positive) onSum[j]! += codes.value[e]!;
      else offSum[j]! += codes.value[e]!;
    }
  }
  const off = task.train - on;
  const gap = touched.map((j) => ({ j, gap: Math.abs(onSum[j]! / on - offSum[j]! / off) }));
  for (const j of touched) {
    onSum[j] = 0;
    offSum[j] = 0;
    seen[j] = 0;
  }
  gap.sort((a, b) => b.gap - a.gap || a.j - b.j);
  return gap
    .filter((g) => g.gap > 0)
    .slice(0, count)
    .map((g) => g.j);
}

/** Test scores of the k-sparse probes of one task, one per k. */
function probeTask(
  codes: SparseRows,
  m: number,
  task: ProbeTask,
  o: ProbingOptions,
  scratch: { onSum: Float64Array; offSum: Float64Array; seen: Uint8Array; column: Int32Array },
): ProbeScore[] {
  const kMax = Math.min(o.ks[o.ks.length - 1]!, m);
  const ranked = rankLatents(codes, task, kMax, scratch);
  // The activations of the ranked latents, [n, ranked] in rank order: a k-probe reads the first k columns.
  const n = task.tokens.length;
  const w = ranked.length;
  ranked.forEach((j, c) => {
    scratch.column[j] = c;
  });
  const all = new Float64Array(n * w);
  for (let i = 0; i < n; i++) {
    const t = task.tokens[i]!;
    for (let e = codes.rowStart[t]!; e < codes.rowStart[t + 1]!; e++) {
      const c = scratch.column[codes.index[e]!]!;
      if (c >= 0) all[i * w + c] = codes.value[e]!;
    }
  }
  for (const j of ranked) scratch.column[j] = -1;
  return o.ks.map((k) => {
    const p = Math.min(k, w);
    const x = new Float64Array(n * p);
    for (let i = 0; i < n; i++) for (let c = 0; c < p; c++) x[i * p + c] = all[i * w + c]!;
    const probe = fitProbe(x, task.labels, task.train, p, o.penalty);
    return scoreProbe(probe, x, task.labels, task.train, n, p);
  });
}
