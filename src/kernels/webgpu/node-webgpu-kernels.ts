/** The webgpu kernel set in Node: Dawn through node-gpu.ts (SwiftShader on request). */
import { type NodeGpuOptions, openNodeGpu } from "./node-gpu.js";
import { type WebgpuKernels, webgpuKernelsOn } from "./webgpu-kernels.js";

/** Opens a WebGPU device in Node and the kernel set on it; throws a GpuError saying what is missing. */
export async function createWebgpuKernels(options: NodeGpuOptions = {}): Promise<WebgpuKernels> {
  return webgpuKernelsOn(await openNodeGpu(options));
}
