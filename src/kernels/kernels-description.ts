import speed from "./measured-speed.json" with { type: "json" };

/** Which kernels a command runs on: the native addon with either product, the onnxruntime fallback, or the GPU. */
export type KernelsInUse =
  | { kind: "native"; gemm: "openblas" | "cosae"; gemmKernel: string; threads: number }
  | { kind: "onnxruntime"; threads: number; whyNotNative: string; forced: boolean }
  | { kind: "webgpu"; adapter: string; swiftshader: boolean };

/** The measured training speeds behind the slowdowns quoted (measured-speed.json; build-native.mjs reads it too). */
export const measuredSpeed = speed;

/**
 * The one line a command that trains, harvests or evaluates prints first: the
 * kernels in use and, on a fallback, the slowdown measured against the OpenBLAS
 * build and what to install to avoid it.
 */
export function describeKernels(k: KernelsInUse): string {
  if (k.kind === "webgpu")
    return k.swiftshader
      ? `kernels: webgpu on SwiftShader (CPU emulation: slow): ${k.adapter}`
      : `kernels: webgpu on ${k.adapter}`;
  const threads = `${k.threads} thread${k.threads === 1 ? "" : "s"}`;
  if (k.kind === "native" && k.gemm === "openblas") return `kernels: native (OpenBLAS sgemm, ${threads})`;
  const measured = `measured at ${speed.shape}`;
  if (k.kind === "native")
    return (
      `kernels: native with cosae's own sgemm (${k.gemmKernel}, ${threads}; no OpenBLAS: ` +
      `${speed.comparedWithOpenblas.cosae}, ${measured}; for OpenBLAS: apt-get install libopenblas-dev, then npm run build)`
    );
  return (
    `kernels: onnxruntime + TypeScript (${threads}; no native addon: ${k.whyNotNative}; ` +
    `${speed.comparedWithOpenblas.onnxruntime}, ${measured}` +
    `${k.forced ? "" : "; needs g++ and make, then npm run build"})`
  );
}
