import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { referenceKernels } from "../../src/kernels/reference.js";
import { createWebgpuKernels } from "../../src/kernels/webgpu/node-webgpu-kernels.js";
import type { WebgpuKernels } from "../../src/kernels/webgpu/webgpu-kernels.js";
import type { DecoderConfig } from "../../src/transformer/decoder-config.js";
import { gpt2Traits, randomDecoder, smallConfig } from "../helpers/random-decoder.js";

/** The transformer forward with the webgpu set (products and attention on the GPU, SwiftShader here) against the CPU's. */
let kernels: WebgpuKernels;
before(async () => {
  kernels = await createWebgpuKernels({ swiftshader: true });
});
after(() => kernels?.dispose());

const sequences = [5, 11, 19].map((n, s) =>
  Int32Array.from({ length: n }, (_, i) => (i * 7 + s * 13 + 1) % 50),
);

const configs: Record<string, Partial<DecoderConfig>> = {
  llama: {},
  gpt2: gpt2Traits,
  // Gemma 2's attention traits, made to bite at this size: a low soft-cap, a window shorter than the sequences.
  "soft-cap and sliding window": {
    attentionSoftcap: 0.5,
    slidingWindow: 3,
    slidingLayers: [true, false, true],
    finalSoftcap: 3,
  },
};

for (const [name, overrides] of Object.entries(configs)) {
  test(`the ${name} forward on the webgpu kernels gives the CPU's logits to 1e-5`, async () => {
    const model = randomDecoder(smallConfig(overrides), 3);
    const want = (await model.forward(sequences, { kernels: referenceKernels })).logits!;
    const got = (await model.forward(sequences, { kernels })).logits!;
    assert.equal(got.length, want.length);
    let err = 0;
    let norm = 0;
    for (let i = 0; i < want.length; i++) {
      err += (got[i]! - want[i]!) ** 2;
      norm += want[i]! ** 2;
    }
    assert.ok(norm > 0 && Math.sqrt(err / norm) <= 1e-5, `relative error ${Math.sqrt(err / norm)}`);
  });
}
