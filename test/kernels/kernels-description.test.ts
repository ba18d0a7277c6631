import assert from "node:assert/strict";
import { test } from "node:test";
import { chooseKernels } from "../../src/cli/kernels.js";
import { describeKernels, measuredSlowdown } from "../../src/kernels/kernels-description.js";

test("the kernels line names the product and, on a fallback, the measured slowdown and the fix", () => {
  assert.equal(
    describeKernels({ kind: "native", gemm: "openblas", gemmKernel: "AVX-512", threads: 2 }),
    "kernels: native (OpenBLAS sgemm, 2 threads)",
  );
  const own = describeKernels({ kind: "native", gemm: "cosae", gemmKernel: "AVX-512", threads: 1 });
  assert.match(
    own,
    /^kernels: native with cosae's own sgemm \(AVX-512, 1 thread; no OpenBLAS: ≈ \d+\.\d× slower/,
  );
  assert.ok(own.includes("apt-get install libopenblas-dev"), own);
  const fallback = describeKernels({
    kind: "onnxruntime",
    threads: 2,
    whyNotNative: "COSAE_KERNELS=onnxruntime",
  });
  assert.match(
    fallback,
    /^kernels: onnxruntime \+ TypeScript \(2 threads; no native addon: COSAE_KERNELS=onnxruntime; ≈ /,
  );
  assert.ok(fallback.includes(`≈ ${measuredSlowdown("onnxruntime")}× slower than native`), fallback);
  assert.ok(Number(measuredSlowdown("onnxruntime")) > Number(measuredSlowdown("cosae")));
  for (const line of [own, fallback]) assert.ok(!line.includes("\n"), "one line");
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
