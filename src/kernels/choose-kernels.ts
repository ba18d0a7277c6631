import { cpus } from "node:os";
import type { Kernels } from "./kernels.js";
import { describeKernels } from "./kernels-description.js";
import { createNativeKernels } from "./native.js";
import { createOnnxruntimeKernels } from "./onnxruntime.js";
import { GpuError } from "./webgpu/gpu.js";
import { swiftshaderRequested } from "./webgpu/node-gpu.js";
import { createWebgpuKernels } from "./webgpu/node-webgpu-kernels.js";

/** Kernels, with the line a command prints first to say which they are (kernels-description.ts). */
export type ChosenKernels = Kernels & { readonly description: string };

/**
 * Which kernels a command runs on: `auto` is the fastest on the CPU (as below),
 * `native` and `onnxruntime` name one, and `webgpu` is the GPU (Dawn on the
 * machine's Vulkan driver; COSAE_WEBGPU_ADAPTER=swiftshader emulates one on the
 * CPU, slowly). `auto` never picks the GPU: a GPU run is asked for, either by
 * name (`webgpu`: no adapter is an error) or as `gpu`: webgpu where an adapter
 * exists, else `auto`, saying so in the kernels line.
 */
export const kernelsKinds = ["auto", "native", "onnxruntime", "webgpu", "gpu"] as const;
export type KernelsKind = (typeof kernelsKinds)[number];

/** The help line of a command's --kernels. */
export const kernelsHelp =
  "auto: the CPU's fastest (native, else onnxruntime); webgpu: the GPU (COSAE_WEBGPU_ADAPTER=swiftshader emulates one, slowly); gpu: webgpu if there is an adapter, else auto";

/**
 * The kernels of `kind` (default `auto`: the fastest on the CPU); `threads` 0 means
 * every core. `native` throws, saying why, when the addon is not built here;
 * `webgpu` throws a GpuError naming what is missing when there is no adapter.
 *
 * `auto` picks the fastest kernels available here. The native
 * addon (C++, built by `npm run build` when a compiler is present; its score
 * product is OpenBLAS's sgemm when OpenBLAS was found, else cosae's own) if it
 * loads, else onnxruntime; COSAE_KERNELS=onnxruntime forces the fallback. All
 * give the reference results up to float32 rounding. `description` names them,
 * and on a fallback says how much slower it is and what to install.
 */
export async function chooseKernels(threads: number, kind: KernelsKind = "auto"): Promise<ChosenKernels> {
  if (!kernelsKinds.includes(kind))
    throw new Error(
      `kernels "${kind}" are not known; expected one of ${kernelsKinds.map((k) => `"${k}"`).join(", ")}`,
    );
  if (kind === "gpu") {
    try {
      return await chooseKernels(threads, "webgpu");
    } catch (error) {
      if (!(error instanceof GpuError)) throw error;
      const cpu = await chooseKernels(threads, "auto");
      const why = `--kernels gpu found no GPU (${error.message}), so it runs on the CPU`;
      return { ...cpu, description: `${cpu.description}\n${why}` };
    }
  }
  if (kind === "webgpu") {
    const kernels = await createWebgpuKernels();
    const description = describeKernels({
      kind: "webgpu",
      adapter: kernels.gpu.adapterName,
      swiftshader: swiftshaderRequested(),
    });
    return { ...kernels, description };
  }
  const native =
    kind === "onnxruntime"
      ? { kernels: null, gemm: null, reason: "--kernels onnxruntime", threads: 0, ownGemmKernel: "" }
      : createNativeKernels(Math.max(threads, 0));
  if (kind === "native" && !(native.kernels && native.gemm))
    throw new Error(
      `the native kernels are not available here (${native.reason}); use --kernels auto or onnxruntime`,
    );
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
      forced: kind === "onnxruntime" || process.env.COSAE_KERNELS === "onnxruntime",
    }),
  };
}
