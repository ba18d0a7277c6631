import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ActivationDataset } from "../../src/data/activation-dataset.js";
import { harvest } from "../../src/data/harvest.js";
import type { Kernels } from "../../src/kernels/kernels.js";
import { referenceKernels } from "../../src/kernels/reference.js";
import type { DecoderModel, ForwardOptions } from "../../src/transformer/decoder.js";
import { loadTransformer } from "../../src/transformer/load-model.js";
import { stories260kBin } from "../helpers/stories260k.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const dir = useTemporaryFolder("cosae-harvest-stop-");

test("a harvest computes no layer past its last hook: layer 1's hooks run 2 of the 5 layers, and no unembedding", async () => {
  const model = await loadTransformer(stories260kBin);
  let products = 0;
  const kernels: Kernels = {
    ...referenceKernels,
    denseScores(...args) {
      products++;
      return referenceKernels.denseScores(...args);
    },
  };
  // The same model, counting its forward passes.
  let passes = 0;
  const counted: DecoderModel = Object.create(model, {
    forward: {
      value: (sequences: readonly Int32Array[], options: ForwardOptions) => {
        passes++;
        return model.forward(sequences, options);
      },
    },
  });
  const text = join(dir(), "corpus.txt");
  writeFileSync(
    text,
    "Once upon a time there was a cat.\n<|endoftext|>\nThe dog ran to the park and played.\n",
  );
  // Per layer 4 products: q/k/v, W_O, gate/up, down; never the unembedding.
  for (const [hooks, perPass] of [
    [["blocks.1.hook_resid_post", "blocks.0.hook_attn_out"], 2 * 4],
    [["blocks.0.ln1.hook_normalized"], 0],
    [["blocks.4.mlp.hook_post"], 4 * 4 + 3],
  ] as const) {
    products = 0;
    passes = 0;
    const out = join(dir(), `out-${hooks[0]}`);
    await harvest({
      model: counted,
      modelPath: stories260kBin,
      text,
      outputs: hooks.map((hook, i) => ({ hook, folder: join(out, String(i)) })),
      contextLength: 64,
      batchTokens: 256,
      maxRows: null,
      skipBos: true,
      shardRows: 1000,
      dtype: "f32",
      fileFormat: "safetensors",
      resume: false,
      kernels,
    });
    assert.ok(passes >= 1);
    assert.equal(products, passes * perPass, hooks.join(", "));
    assert.ok((await ActivationDataset.open(join(out, "0"))).rows > 10);
  }
});
