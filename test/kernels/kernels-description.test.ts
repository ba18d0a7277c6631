import assert from "node:assert/strict";
import { test } from "node:test";
import { chooseKernels } from "../../src/kernels/choose-kernels.js";
import { describeKernels, measuredSpeed } from "../../src/kernels/kernels-description.js";

test("the kernels line names the product and, on a fallback, the measured slowdown and the fix", () => {
  assert.equal(
    describeKernels({ kind: "native", gemm: "openblas", gemmKernel: "AVX-512", threads: 2 }),
    "kernels: native (OpenBLAS sgemm, 2 threads)",
  );
  const own = describeKernels({ kind: "native", gemm: "cosae", gemmKernel: "AVX-512", threads: 1 });
  assert.ok(own.startsWith("kernels: native with cosae's own sgemm (AVX-512, 1 thread; no OpenBLAS: "), own);
  assert.ok(own.includes(measuredSpeed.comparedWithOpenblas.cosae), own);
  assert.ok(own.includes("apt-get install libopenblas-dev"), own);
  const fallback = describeKernels({
    kind: "onnxruntime",
    threads: 2,
    whyNotNative: "COSAE_KERNELS=onnxruntime",
    forced: true,
  });
  const start = "kernels: onnxruntime + TypeScript (2 threads; no native addon: COSAE_KERNELS=onnxruntime; ";
  assert.ok(fallback.startsWith(start), fallback);
  assert.ok(fallback.includes(measuredSpeed.comparedWithOpenblas.onnxruntime), fallback);
  assert.ok(!fallback.includes("npm run build"), fallback);
  const unbuilt = describeKernels({
    kind: "onnxruntime",
    threads: 2,
    whyNotNative: "not built",
    forced: false,
  });
  assert.ok(unbuilt.endsWith("; needs g++ and make, then npm run build)"), unbuilt);
  for (const line of [own, fallback, unbuilt]) assert.ok(!line.includes("\n"), "one line");
});

test("the webgpu kernels line names the adapter, and says when it is SwiftShader's emulation", () => {
  assert.equal(
    describeKernels({ kind: "webgpu", adapter: "nvidia hopper NVIDIA H200", swiftshader: false }),
    "kernels: webgpu on nvidia hopper NVIDIA H200",
  );
  assert.equal(
    describeKernels({ kind: "webgpu", adapter: "google swiftshader", swiftshader: true }),
    "kernels: webgpu on SwiftShader (CPU emulation: slow): google swiftshader",
  );
});

test("the slowdowns quoted are the measured speeds' ratios, rounded", () => {
  const { tokensPerSecond: tps, comparedWithOpenblas } = measuredSpeed;
  for (const kind of ["cosae", "onnxruntime"] as const) {
    const ratio = tps.openblas / tps[kind];
    const phrase =
      ratio < 1.05
        ? "as fast as the OpenBLAS build (within 5%)"
        : ratio < 2
          ? `≈ ${Math.round((ratio - 1) * 100)}% slower than the OpenBLAS build`
          : `≈ ${ratio.toFixed(1)}× slower than the OpenBLAS build`;
    assert.equal(
      comparedWithOpenblas[kind],
      phrase,
      `${kind}: ${tps[kind]} against ${tps.openblas} tokens/s`,
    );
  }
});

test("chooseKernels describes the kernels it chose", async () => {
  const kernels = await chooseKernels(1);
  try {
    const product = kernels.name.startsWith("native-openblas")
      ? "kernels: native (OpenBLAS sgemm, 1 thread)"
      : kernels.name.startsWith("native-cosae-gemm")
        ? "kernels: native with cosae's own sgemm"
        : "kernels: onnxruntime + TypeScript (1 thread; no native addon";
    assert.ok(kernels.description.startsWith(product), `${kernels.name}: ${kernels.description}`);
  } finally {
    await kernels.dispose();
  }
});

test("chooseKernels opens the kind asked for, and refuses an unknown one", async () => {
  const onnx = await chooseKernels(1, "onnxruntime");
  try {
    assert.match(onnx.name, /^onnxruntime/);
    assert.ok(
      onnx.description.startsWith(
        "kernels: onnxruntime + TypeScript (1 thread; no native addon: --kernels onnxruntime;",
      ),
      onnx.description,
    );
  } finally {
    await onnx.dispose();
  }
  await assert.rejects(
    chooseKernels(1, "cuda" as never),
    /kernels "cuda" are not known; expected one of "auto", "native", "onnxruntime", "webgpu", "gpu"/,
  );
});
