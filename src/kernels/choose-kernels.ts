import { cpus } from "node:os";
import type { Kernels } from "./kernels.js";
import { describeKernels } from "./kernels-description.js";
import { createNativeKernels } from "./native.js";
import { createOnnxruntimeKernels } from "./onnxruntime.js";

/** Kernels, with the line a command prints first to say which they are (kernels-description.ts). */
export type ChosenKernels = Kernels & { readonly description: string };

/**
 * The fastest kernels available here; `threads` 0 means every core. The native
 * addon (C++, built by `npm run build` when a compiler is present; its score
 * product is OpenBLAS's sgemm when OpenBLAS was found, else cosae's own) if it
 * loads, else onnxruntime; COSAE_KERNELS=onnxruntime forces the fallback. All
 * give the reference results up to float32 rounding. `description` names them,
 * and on a fallback says how much slower it is and what to install.
 */
export async function chooseKernels(threads: number): Promise<ChosenKernels> {
  const native = createNativeKernels(Math.max(threads, 0));
  if (native.kernels && native.gemm) {
    const gemmKernel = native.ownGemmKernel === "avx512" ? "AVX-512" : "portable C++";
    const description = describeKernels({
      kind: "native",
      gemm: native.gemm,
      gemmKernel,
      threads: native.threads,
    });
    return { ...native.kernels, description };
  }
  const used = threads > 0 ? threads : cpus().length;
  const kernels = await createOnnxruntimeKernels(used);
  return {
    ...kernels,
    description: describeKernels({
      kind: "onnxruntime",
      threads: used,
      whyNotNative: native.reason,
      forced: process.env.COSAE_KERNELS === "onnxruntime",
    }),
  };
}
