import type { Kernels } from "../src/kernels/kernels.js";

/** A score product out = x · wᵀ (kernels.denseScores, or the addon's own sgemm). */
type Product = (x: Float32Array, w: Float32Array, rows: number, d: number, m: number) => unknown;

/**
 * The fp32 GEMM rate this machine reaches through `kernels.denseScores` on a
 * large, well-shaped product (best of a few runs after a warm-up): the peak
 * that the training limit is computed from.
 */
export async function measurePeak(kernels: Kernels): Promise<{ gflops: number; shape: string }> {
  return measureProductPeak((x, w, rows, d, m) => kernels.denseScores(x, w, rows, d, m));
}

/** measurePeak for any product (and shape), so two products can be compared in one run. */
export async function measureProductPeak(
  product: Product,
  [rows, d, m]: readonly [number, number, number] = [2048, 1024, 8192],
): Promise<{ gflops: number; shape: string }> {
  const x = new Float32Array(rows * d).map((_, i) => ((i * 2654435761) % 1000) / 1000 - 0.5);
  const w = new Float32Array(m * d).map((_, i) => ((i * 40503) % 997) / 997 - 0.5);
  await product(x, w, rows, d, m);
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 4; r++) {
    const start = performance.now();
    await product(x, w, rows, d, m);
    best = Math.min(best, performance.now() - start);
  }
  return { gflops: (2 * rows * d * m) / (best * 1e6), shape: `${rows}×${d} · (${m}×${d})ᵀ` };
}
