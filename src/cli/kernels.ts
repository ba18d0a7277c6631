import type { Kernels } from "../kernels/kernels.js";
import { createOnnxruntimeKernels } from "../kernels/onnxruntime.js";

/** The fastest kernels available here; `threads` 0 means every core. */
export async function chooseKernels(threads: number): Promise<Kernels> {
  return createOnnxruntimeKernels(threads > 0 ? threads : undefined);
}
