import type { Kernels } from "../src/kernels/kernels.js";
import { encodeScores } from "../src/kernels/webgpu/gemm.js";
import type { Gpu } from "../src/kernels/webgpu/gpu.js";

/** A score product out = x · wᵀ (kernels.denseScores, or the addon's own sgemm). */
type Product = (x: Float32Array, w: Float32Array, rows: number, d: number, m: number) => unknown;

/**
 * The fp32 GEMM rate this machine reaches through `kernels.denseScores` on a
 * large, well-shaped product (best of a few runs after a warm-up): the peak
 * that the training limit is computed from.
 */
export async function measurePeak(
  kernels: Kernels,
  shape: readonly [number, number, number] = [2048, 1024, 8192],
): Promise<{ gflops: number; shape: string }> {
  return measureProductPeak((x, w, rows, d, m) => kernels.denseScores(x, w, rows, d, m), shape);
}

/**
 * The tiled GEMM's rate on the GPU alone: X, W and the scores resident on the
 * device, `repeats` products recorded and submitted together (so no upload,
 * read-back or per-submit latency is counted), best of a few rounds after a warm-up.
 */
export async function measureWebgpuGemm(
  gpu: Gpu,
  [rows, d, m]: readonly [number, number, number],
): Promise<{ gflops: number; shape: string }> {
  const x = gpu.upload(
    "peak X",
    new Float32Array(rows * d).map((_, i) => ((i * 2654435761) % 1000) / 1000 - 0.5),
  );
  const w = gpu.upload(
    "peak W",
    new Float32Array(m * d).map((_, i) => ((i * 40503) % 997) / 997 - 0.5),
  );
  const out = gpu.createBuffer("peak scores", rows * m * 4);
  const flops = 2 * rows * d * m;
  try {
    encodeScores(gpu, x, w, out, rows, d, m);
    await gpu.flush();
    // Enough products for about 0.2 s a round (by the warm-up's time), so submission costs little.
    const start = performance.now();
    encodeScores(gpu, x, w, out, rows, d, m);
    await gpu.flush();
    const repeats = Math.max(1, Math.min(50, Math.round(200 / (performance.now() - start))));
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < 3; r++) {
      const start = performance.now();
      for (let i = 0; i < repeats; i++) encodeScores(gpu, x, w, out, rows, d, m);
      await gpu.flush();
      best = Math.min(best, (performance.now() - start) / repeats);
    }
    return { gflops: flops / (best * 1e6), shape: `${rows}×${d} · (${m}×${d})ᵀ` };
  } finally {
    for (const b of [x, w, out]) gpu.release(b);
  }
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
