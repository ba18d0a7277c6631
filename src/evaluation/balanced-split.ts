/**
 * A balanced binary task from a pool of positive and negative tokens: the
 * same number of each (the smaller class, at most `maxPerClass`), drawn with
 * `rng`, each class split into a training and a test part. Rows
 * `[0, train)` train a probe, the rest test it (DESIGN §4's probes).
 */
import type { Rng } from "../util/rng.js";

export interface BalancedSplit {
  tokens: Int32Array;
  /** 1 for a positive token */
  labels: Uint8Array;
  train: number;
}

export function balancedSplit(
  positives: readonly number[],
  negatives: readonly number[],
  maxPerClass: number,
  trainShare: number,
  rng: Rng,
): BalancedSplit {
  const perClass = Math.min(positives.length, negatives.length, maxPerClass);
  if (perClass < 2)
    throw new RangeError(`balancedSplit: ${positives.length} positives and ${negatives.length} negatives`);
  const pos = sample(positives, perClass, rng);
  const neg = sample(negatives, perClass, rng);
  // at least one token of each class on each side
  const trainEach = Math.min(perClass - 1, Math.max(1, Math.round(trainShare * perClass)));
  const tokens = Int32Array.from([
    ...pos.slice(0, trainEach),
    ...neg.slice(0, trainEach),
    ...pos.slice(trainEach),
    ...neg.slice(trainEach),
  ]);
  const labels = new Uint8Array(tokens.length);
  labels.fill(1, 0, trainEach);
  labels.fill(1, 2 * trainEach, 2 * trainEach + perClass - trainEach);
  return { tokens, labels, train: 2 * trainEach };
}

/** `count` distinct draws from `pool` (a partial Fisher–Yates shuffle of a copy). */
function sample(pool: readonly number[], count: number, rng: Rng): number[] {
  const a = [...pool];
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(a.length - i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, count);
}
