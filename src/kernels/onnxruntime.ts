import { cpus } from "node:os";
import * as ort from "onnxruntime-node";
import type { FloatArray } from "./arrays.js";
import type { Kernels } from "./kernels.js";
import { gemmTransBModel } from "./onnx-gemm-model.js";
import { referenceKernels } from "./reference.js";

/**
 * Kernels whose dense score product runs in onnxruntime's MLAS GEMM on every
 * core; the sparse parts are the typed-array loops of the reference set.
 * float64 inputs (the gradient-check path) fall back to the reference product.
 */
export async function createOnnxruntimeKernels(threads = cpus().length): Promise<Kernels> {
  const session = await ort.InferenceSession.create(gemmTransBModel("float"), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  // One output buffer, reused while the shape stays the same: a 4096 × 16384 score matrix is 256 MiB.
  let out = new Float32Array(0);
  return {
    ...referenceKernels,
    name: `onnxruntime-mlas(${threads} threads)`,
    async denseScores(x: FloatArray, w: FloatArray, rows: number, d: number, m: number): Promise<FloatArray> {
      if (!(x instanceof Float32Array) || !(w instanceof Float32Array)) {
        return referenceKernels.denseScores(x, w, rows, d, m);
      }
      if (out.length !== rows * m) out = new Float32Array(rows * m);
      const feeds = {
        A: new ort.Tensor("float32", x.subarray(0, rows * d), [rows, d]),
        B: new ort.Tensor("float32", w, [m, d]),
      };
      await session.run(feeds, { Y: new ort.Tensor("float32", out, [rows, m]) });
      return out;
    },
    async dispose() {
      await session.release();
    },
  };
}
