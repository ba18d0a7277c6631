import type { ActivationSource } from "../src/data/source.js";
import { Rng } from "../src/util/rng.js";

/**
 * Cheap synthetic activations for the benchmark: a fixed pool of Gaussian rows
 * (with a few strong shared directions, so latents specialise) is drawn once;
 * batch i copies a window of it and scales each token by a log-normal norm, so
 * the data phase costs one copy per batch, as a real prefetched source would.
 */
export function randomSource(d: number, poolRows: number, seed = 1): ActivationSource {
  const rng = new Rng(seed, 11);
  const pool = new Float32Array(poolRows * d);
  const directions = 64;
  const basis = new Float32Array(directions * d);
  for (let i = 0; i < basis.length; i++) basis[i] = rng.normal();
  for (let t = 0; t < poolRows; t++) {
    const row = pool.subarray(t * d, (t + 1) * d);
    for (let c = 0; c < d; c++) row[c] = rng.normal();
    for (let s = 0; s < 4; s++) {
      const q = rng.int(directions);
      const a = 3 * rng.uniform();
      for (let c = 0; c < d; c++) row[c]! += a * basis[q * d + c]!;
    }
  }
  const scales = Float32Array.from({ length: 4096 }, () => Math.exp(0.5 * rng.normal()));
  return {
    d,
    description: `bench random (${poolRows} pooled rows)`,
    trainBatch(index: number, size: number): Float32Array {
      const out = new Float32Array(size * d);
      for (let t = 0; t < size; t++) {
        const from = ((index * 7919 + t) % poolRows) * d;
        const scale = scales[(index * 131 + t) % scales.length]!;
        for (let c = 0; c < d; c++) out[t * d + c] = pool[from + c]! * scale;
      }
      return out;
    },
  };
}
