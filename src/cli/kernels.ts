import type { Kernels } from "../kernels/kernels.js";
import { createNativeKernels } from "../kernels/native.js";
import { createOnnxruntimeKernels } from "../kernels/onnxruntime.js";

/**
 * The fastest kernels available here; `threads` 0 means every core. The native
 * addon (OpenBLAS + C++, built by `npm run build` when a compiler and OpenBLAS
 * are present) if it loads, else onnxruntime; COSAE_KERNELS=onnxruntime forces
 * the fallback. Both give the reference results up to float32 rounding.
 */
export async function chooseKernels(threads: number): Promise<Kernels> {
  const native = createNativeKernels(Math.max(threads, 0));
  if (native.kernels) return native.kernels;
  return createOnnxruntimeKernels(threads > 0 ? threads : undefined);
}
