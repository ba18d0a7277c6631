import type { ActivationSource } from "./source.js";
import type { SyntheticDataset } from "./synthetic.js";

/** The synthetic dataset's training split as an activation source. */
export function syntheticSource(dataset: SyntheticDataset): ActivationSource {
  const c = dataset.config;
  return {
    d: dataset.d,
    description: `synthetic(d=${c.d}, features=${c.features}, meanActive=${c.meanActive}, seed=${c.seed})`,
    trainBatch: (index, size) => dataset.batch("train", index, size).x,
  };
}
