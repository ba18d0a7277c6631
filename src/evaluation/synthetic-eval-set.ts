import type { SyntheticDataset } from "../data/synthetic.js";
import type { EvalSet } from "./evaluate.js";

/** Held-out synthetic tokens with their ground truth: the true features are both the concepts and the directions. */
export function syntheticEvalSet(dataset: SyntheticDataset, tokens: number): EvalSet {
  const batch = dataset.batch("eval", 0, tokens);
  const count = dataset.config.features;
  return {
    x: batch.x,
    rows: tokens,
    concepts: { labels: batch.active, count },
    trueFeatures: { rows: dataset.features, count },
  };
}
