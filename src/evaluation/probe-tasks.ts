/**
 * The binary token tasks of k-sparse probing (DESIGN §4): concepts of the
 * eval set's bank, each balanced by subsampling and split 80/20, all seeded.
 * They depend only on the eval set, so they are chosen once per set and every
 * SAE (and the raw-activation ceiling) is probed on the same tokens.
 *
 * Cost is bounded, since the eval runs after every training run: a concept
 * becomes a task only with at least `minPositives` tokens on and off, each
 * group contributes at most `tasksPerGroup` tasks (spread evenly over the
 * group's concepts ranked by frequency, so frequent and rare ones both
 * appear), and a task keeps at most `maxPerClass` tokens of each class.
 */
import { Rng } from "../util/rng.js";
import { balancedSplit } from "./balanced-split.js";
import type { EvalSet } from "./evaluate.js";
import { oncePerSet } from "./per-set-cache.js";

export interface ProbingOptions {
  /** the k of the k-sparse probes, ascending */
  ks: number[];
  /** a concept needs at least this many tokens on and this many off */
  minPositives: number;
  tasksPerGroup: number;
  /** tokens kept per class (the balanced size is min(on, off, this)) */
  maxPerClass: number;
  /** share of each class that trains the probe; the rest tests it */
  trainShare: number;
  /** λ of the logistic fit on standardised features, on the summed loss (logistic-probe.ts) */
  penalty: number;
  seed: number;
}

export const defaultProbingOptions: ProbingOptions = {
  ks: [1, 2, 5, 20],
  minPositives: 100,
  tasksPerGroup: 10,
  maxPerClass: 500,
  trainShare: 0.8,
  penalty: 1,
  seed: 0,
};

/** One task: rows `tokens[0 … train)` train, the rest test; `labels[i]` is the label of `tokens[i]`. */
export interface ProbeTask {
  concept: number;
  name: string;
  group: string;
  /** tokens carrying the concept in the whole eval set */
  positives: number;
  tokens: Int32Array;
  labels: Uint8Array;
  train: number;
}

/** The group a concept belongs to: the bank's, else its name's prefix ("class:comma" → "class"). */
export function conceptGroup(set: EvalSet, c: number): string {
  const given = set.concepts?.groups?.[c];
  if (given !== undefined) return given;
  const name = set.concepts?.names?.[c];
  if (name === undefined) return "true feature";
  const colon = name.indexOf(":");
  return colon > 0 ? name.slice(0, colon) : "concept";
}

export function validateProbingOptions(o: ProbingOptions): void {
  if (
    o.ks.length === 0 ||
    !o.ks.every((k, i) => Number.isInteger(k) && k >= 1 && (i === 0 || k > o.ks[i - 1]!))
  )
    throw new RangeError(`probing: ks must be ascending integers ≥ 1, got ${o.ks.join(", ")}`);
  if (!(Number.isInteger(o.minPositives) && o.minPositives >= 5))
    throw new RangeError(`probing: minPositives must be an integer ≥ 5, got ${o.minPositives}`);
  if (!(Number.isInteger(o.tasksPerGroup) && o.tasksPerGroup >= 1))
    throw new RangeError(`probing: tasksPerGroup must be an integer ≥ 1, got ${o.tasksPerGroup}`);
  if (!(Number.isInteger(o.maxPerClass) && o.maxPerClass >= o.minPositives))
    throw new RangeError(`probing: maxPerClass must be an integer ≥ minPositives, got ${o.maxPerClass}`);
  if (!(o.trainShare > 0 && o.trainShare < 1))
    throw new RangeError(`probing: trainShare must be in (0, 1), got ${o.trainShare}`);
  if (!(o.penalty > 0)) throw new RangeError(`probing: penalty must be > 0, got ${o.penalty}`);
}

/** The tasks of `set` (none without a concept bank), chosen once per set and options. */
export function probeTasks(set: EvalSet, options: ProbingOptions): ProbeTask[] {
  validateProbingOptions(options);
  return oncePerSet(set, "probe tasks", options, () => chooseTasks(set, options));
}

function chooseTasks(set: EvalSet, o: ProbingOptions): ProbeTask[] {
  const concepts = set.concepts;
  if (!concepts) return [];
  const { labels, count } = concepts;
  if (labels.rows !== set.rows)
    throw new RangeError(`probing: ${labels.rows} concept rows for ${set.rows} tokens`);
  const on: number[][] = Array.from({ length: count }, () => []);
  for (let t = 0; t < set.rows; t++) {
    for (let i = labels.rowStart[t]!; i < labels.rowStart[t + 1]!; i++) on[labels.index[i]!]!.push(t);
  }
  const byGroup = new Map<string, number[]>();
  for (let c = 0; c < count; c++) {
    const n = on[c]!.length;
    if (n < o.minPositives || set.rows - n < o.minPositives) continue;
    const g = conceptGroup(set, c);
    const members = byGroup.get(g);
    if (members) members.push(c);
    else byGroup.set(g, [c]);
  }
  const tasks: ProbeTask[] = [];
  for (const [group, members] of byGroup) {
    members.sort((a, b) => on[b]!.length - on[a]!.length || a - b);
    for (const c of evenlySpaced(members, o.tasksPerGroup)) {
      tasks.push(balancedTask(c, group, on[c]!, set.rows, set.concepts?.names?.[c] ?? `feature ${c}`, o));
    }
  }
  return tasks;
}

/** `count` items spread evenly over `items` (first and last included), or all of them. */
function evenlySpaced<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  if (count === 1) return [items[0]!];
  return Array.from({ length: count }, (_, i) => items[Math.round((i * (items.length - 1)) / (count - 1))]!);
}

function balancedTask(
  concept: number,
  group: string,
  positives: readonly number[],
  rows: number,
  name: string,
  o: ProbingOptions,
): ProbeTask {
  const isOn = new Uint8Array(rows);
  for (const t of positives) isOn[t] = 1;
  const negatives: number[] = [];
  for (let t = 0; t < rows; t++) if (!isOn[t]) negatives.push(t);
  const rng = new Rng(o.seed, 0x70726f62, concept); // "prob"
  const split = balancedSplit(positives, negatives, o.maxPerClass, o.trainShare, rng);
  return {
    concept,
    name,
    group,
    positives: positives.length,
    ...split,
  };
}
