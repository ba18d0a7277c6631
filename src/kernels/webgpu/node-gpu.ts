/**
 * WebGPU in Node: Dawn's binding from the npm package `webgpu` (an optional
 * dependency with prebuilt binaries). Dawn runs on the machine's Vulkan driver;
 * with `swiftshader` it runs instead on SwiftShader, the CPU Vulkan driver that
 * the Chromium of @sparticuz/chromium carries (unpacked by scripts/setup.mjs):
 * slow, but the same WGSL, so CI tests the kernels on a machine with no GPU.
 */
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Gpu, GpuError, openGpu } from "./gpu.js";

export interface NodeGpuOptions {
  /** run on SwiftShader (CPU emulation) instead of a GPU; default: COSAE_WEBGPU_ADAPTER=swiftshader */
  swiftshader?: boolean;
}

/** Whether the user asked for SwiftShader through the environment. */
export function swiftshaderRequested(): boolean {
  return process.env.COSAE_WEBGPU_ADAPTER === "swiftshader";
}

/** The SwiftShader Vulkan driver's manifest that scripts/setup.mjs unpacked, if any. */
export function swiftshaderIcd(): string | null {
  // dist/src/kernels/webgpu → the package root
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
  const cache = join(root, "node_modules", ".cache", "cosae");
  if (!existsSync(cache)) return null;
  for (const entry of readdirSync(cache).sort().reverse()) {
    const icd = join(cache, entry, "vk_swiftshader_icd.json");
    if (entry.startsWith("chromium-") && existsSync(icd)) return icd;
  }
  return null;
}

let dawn: Promise<GPU> | null = null;
let dawnFor: string | null = null;

/** Opens a WebGPU device in Node; throws a GpuError saying what is missing and what to do. */
export async function openNodeGpu(options: NodeGpuOptions = {}): Promise<Gpu> {
  const swiftshader = options.swiftshader ?? swiftshaderRequested();
  let hint = "Dawn found no Vulkan device: is a GPU driver with Vulkan installed (and libvulkan1)?";
  const icdKey = swiftshader ? "swiftshader" : "system";
  if (swiftshader) {
    const icd = swiftshaderIcd();
    if (!icd)
      throw new GpuError(
        "SwiftShader was asked for (COSAE_WEBGPU_ADAPTER=swiftshader) but its Vulkan driver is not unpacked: " +
          "run node scripts/setup.mjs",
      );
    // Read by the Vulkan loader when Dawn creates its instance, which happens once per process.
    process.env.VK_ICD_FILENAMES = icd;
    hint = `SwiftShader's driver at ${icd} gave none: is libvulkan1 installed (node scripts/setup.mjs)?`;
  } else {
    hint += " To test on the CPU instead, set COSAE_WEBGPU_ADAPTER=swiftshader (slow).";
  }
  if (dawn && dawnFor !== icdKey)
    throw new GpuError(
      `WebGPU was already opened on the ${dawnFor} driver in this process; it cannot switch`,
    );
  dawnFor = icdKey;
  dawn ??= loadDawn();
  return openGpu(await dawn, hint);
}

async function loadDawn(): Promise<GPU> {
  let module: { create(flags: string[]): GPU; globals: object };
  try {
    module = (await import("webgpu")) as unknown as typeof module;
  } catch (error) {
    dawn = null;
    throw new GpuError(
      `the npm package "webgpu" (Dawn for Node, an optional dependency) did not load: ${(error as Error).message}. ` +
        "Install it with npm install webgpu",
    );
  }
  return module.create([]);
}
