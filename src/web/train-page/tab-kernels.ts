/**
 * The kernels the page trains with: the webgpu set on the browser's adapter
 * (the same code Node runs on Dawn), or the CPU reference set when asked for
 * or when the browser has no WebGPU (said on the page, never silently).
 */
import type { Kernels } from "../../kernels/kernels.js";
import { referenceKernels } from "../../kernels/reference.js";
import { describeAdapter, openGpu } from "../../kernels/webgpu/gpu.js";
import { webgpuKernelsOn } from "../../kernels/webgpu/webgpu-kernels.js";

export type TabKernelChoice = "webgpu" | "cpu";

export interface TabKernels {
  kernels: Kernels;
  /** the WebGPU adapter in words, or null on the CPU */
  adapter: string | null;
}

export async function openTabKernels(choice: TabKernelChoice): Promise<TabKernels> {
  if (choice === "cpu") return { kernels: referenceKernels, adapter: null };
  if (!navigator.gpu)
    throw new Error(
      "this browser has no WebGPU (navigator.gpu is missing: an old browser, a page not on localhost, or WebGPU turned off); choose the CPU kernels",
    );
  const gpu = await openGpu(navigator.gpu, "the browser offers none; choose the CPU kernels");
  return { kernels: webgpuKernelsOn(gpu), adapter: gpu.adapterName };
}

/** The adapter the browser offers, in words, or null when it offers none (shown before a run). */
export async function offeredAdapter(): Promise<string | null> {
  if (!navigator.gpu) return null;
  const adapter = await navigator.gpu
    .requestAdapter({ powerPreference: "high-performance" })
    .catch(() => null);
  return adapter ? describeAdapter(adapter.info) : null;
}
