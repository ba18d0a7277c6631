import type { Kernels } from "../../src/kernels/kernels.js";
import { createNativeKernels } from "../../src/kernels/native.js";
import { createOnnxruntimeKernels } from "../../src/kernels/onnxruntime.js";
import { referenceKernels } from "../../src/kernels/reference.js";
import { createWebgpuKernels } from "../../src/kernels/webgpu/node-webgpu-kernels.js";

/** A kernel set, or why it is missing here (the native addon may not be built). */
export interface KernelSetUnderTest {
  name: string;
  kernels: Kernels | null;
  missing: string | null;
}

/**
 * Every kernel set, registered once: test/kernels/agreement.test.ts runs the same
 * reference-agreement suite against each. A new kernel set adds one line here.
 */
export const kernelSets: ReadonlyArray<{ name: string; create: () => Promise<KernelSetUnderTest> }> = [
  {
    name: "reference",
    create: async () => ({ name: "reference", kernels: referenceKernels, missing: null }),
  },
  {
    name: "native",
    create: async () => {
      const { kernels, reason } = createNativeKernels(2);
      return { name: "native", kernels, missing: kernels ? null : reason };
    },
  },
  {
    name: "onnxruntime",
    create: async () => ({ name: "onnxruntime", kernels: await createOnnxruntimeKernels(2), missing: null }),
  },
  {
    // Dawn on SwiftShader, the CPU Vulkan driver: the same WGSL as on a GPU.
    name: "webgpu",
    // Missing (skipped, never under CI=true) when SwiftShader or the Vulkan loader is not set up here.
    create: async () =>
      createWebgpuKernels({ swiftshader: true }).then(
        (kernels) => ({ name: "webgpu", kernels, missing: null }),
        (error: Error) => ({ name: "webgpu", kernels: null, missing: error.message }),
      ),
  },
];
