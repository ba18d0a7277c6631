/** The --kernels flag of the commands that compute: which kernel set runs (choose-kernels.ts). */
import { type KernelsKind, kernelsKinds } from "../kernels/choose-kernels.js";

/** parseArgs's option for --kernels. */
export const kernelsFlag = { type: "string", default: "auto" } as const;

/** The help lines for commands whose help lists flags by hand, the text from column `column`. */
export function kernelsFlagHelp(column = 20): string {
  return (
    `${"  --kernels K".padEnd(column)}auto (the CPU's fastest: native, else onnxruntime), native, onnxruntime,\n` +
    `${"".padEnd(column)}webgpu (the GPU; COSAE_WEBGPU_ADAPTER=swiftshader emulates one, slowly),\n` +
    `${"".padEnd(column)}or gpu (webgpu where there is an adapter, else auto, and says so)`
  );
}

/** The kernel set asked for with --kernels, checked. */
export function kernelsKind(value: string | undefined): KernelsKind {
  const v = value ?? "auto";
  if ((kernelsKinds as readonly string[]).includes(v)) return v as KernelsKind;
  throw new Error(`--kernels: expected one of ${kernelsKinds.join(", ")}, got "${v}"`);
}
