/**
 * The kernels choice for library users: which implementation runs the dense
 * products, selections and sparse decodes. Every API function takes an
 * optional `kernels`; without one it opens the default for the call and
 * closes it afterwards, so a script that makes many calls opens one itself.
 */
import { chooseKernels, kernelsKinds } from "../kernels/choose-kernels.js";
import type { Kernels } from "../kernels/kernels.js";
import { createNativeKernels } from "../kernels/native.js";
import { createOnnxruntimeKernels } from "../kernels/onnxruntime.js";

/**
 * An open set of kernels, from {@link openKernels}: `name` says which
 * implementation it is. Pass it as `kernels` to the other functions; close it
 * with `dispose()`.
 */
export interface KernelSet {
  /** the implementation, e.g. "native (OpenBLAS, 16 threads)" or "onnxruntime" */
  readonly name: string;
  /** releases threads and sessions; the set cannot be used afterwards */
  dispose(): Promise<void>;
}

/** Kernel sets handed out by openKernels: the only ones the API accepts. */
const opened = new WeakSet<object>();

/**
 * Which kernels to open: the fastest on the CPU (`"auto"`, as the CLI), one by
 * name, or `"webgpu"`: the score products on the GPU (Dawn on the machine's Vulkan
 * driver; with COSAE_WEBGPU_ADAPTER=swiftshader, emulated on the CPU).
 */
export type KernelsKind = "auto" | "native" | "onnxruntime" | "webgpu" | "gpu";

/** Options of {@link openKernels}. */
export interface OpenKernelsOptions {
  /** `"auto"` (default): the native addon when it was built, else onnxruntime; `"webgpu"`: the GPU */
  kind?: KernelsKind;
  /** threads for the products; 0 (default) means every core */
  threads?: number;
}

/**
 * Opens a set of kernels. Close it with `await kernels.dispose()` when done.
 * `"native"` throws, saying why, when the addon is not built here; `"webgpu"`
 * throws, naming what is missing, when there is no WebGPU adapter.
 */
export async function openKernels(options: OpenKernelsOptions = {}): Promise<KernelSet> {
  const kernels = await openInternal(options);
  opened.add(kernels);
  return kernels;
}

async function openInternal(options: OpenKernelsOptions): Promise<Kernels> {
  const threads = Math.max(0, options.threads ?? 0);
  const kind = options.kind ?? "auto";
  if (kind === "auto" || kind === "webgpu" || kind === "gpu") return chooseKernels(threads, kind);
  if (kind === "onnxruntime") return createOnnxruntimeKernels(threads > 0 ? threads : undefined);
  if (kind !== "native")
    throw new Error(
      `openKernels: option "kind" is "${kind}"; expected ${kernelsKinds.map((k) => `"${k}"`).join(", ")}`,
    );
  const native = createNativeKernels(threads);
  if (!native.kernels)
    throw new Error(
      `openKernels: native kernels are not available here (${native.reason}); use kind "auto" or "onnxruntime"`,
    );
  return native.kernels;
}

/** Runs `use` with the caller's kernels, or with default ones opened for the call and disposed after it (internal). */
export async function withKernels<T>(
  given: KernelSet | undefined,
  use: (kernels: Kernels) => Promise<T>,
): Promise<T> {
  if (given) {
    if (!opened.has(given))
      throw new Error(`option "kernels": expected a set from openKernels(), got ${String(given.name)}`);
    return use(given as Kernels);
  }
  const kernels = await openInternal({});
  opened.add(kernels); // nested API calls may pass it on
  try {
    return await use(kernels);
  } finally {
    await kernels.dispose();
  }
}
