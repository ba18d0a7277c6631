import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Kernels } from "../../src/kernels/kernels.js";
import { createOnnxruntimeKernels } from "../../src/kernels/onnxruntime.js";
import type { DecoderModel } from "../../src/transformer/decoder.js";
import { loadTransformer } from "../../src/transformer/load-model.js";
import { nextTokenLoss } from "../../src/transformer/next-token-loss.js";
import { corpusStories, maxRelativeError, referenceCases, stories260kBin } from "../helpers/stories260k.js";

let kernels: Kernels;
let model: DecoderModel;
before(async () => {
  kernels = await createOnnxruntimeKernels(2);
  model = await loadTransformer(stories260kBin);
});
after(async () => {
  await kernels.dispose();
});

test("stories260K loads with its config and tokenizer found beside it", () => {
  const c = model.config;
  assert.deepEqual(
    [c.dim, c.mlpDim, c.layers, c.heads, c.kvHeads, c.vocabSize, c.maxSeqLen],
    [64, 172, 5, 8, 4, 512, 512],
  );
  assert.equal(c.sharedClassifier, true);
  assert.equal(c.rotary?.style, "adjacent-pairs");
  assert.equal(model.format, "llama2c-legacy");
  assert.equal(model.tokenizer?.vocabSize, 512);
});

test("token ids equal the reference for every case", () => {
  for (const c of referenceCases()) {
    assert.deepEqual(Array.from(model.tokenizer!.encode(c.text)), c.ids, c.text);
  }
});

test("logits, argmax and residual norms match the float64 reference", async () => {
  let worst = 0;
  for (const c of referenceCases()) {
    const ids = Int32Array.from(c.ids);
    const norms: number[][] = [];
    let residLayer2: Float32Array | undefined;
    const hooks: Record<string, (v: Float32Array, info: { rows: number; width: number }) => void> = {};
    for (let l = 0; l <= model.config.layers; l++) {
      hooks[`blocks.${l}.hook_resid_pre`] = (v, { rows, width }) => {
        const n: number[] = [];
        for (let t = 0; t < rows; t++) {
          let ss = 0;
          for (let i = 0; i < width; i++) ss += v[t * width + i]! ** 2;
          n.push(Math.sqrt(ss));
        }
        norms[l] = n;
        if (l === 2) residLayer2 = v.slice((rows - 1) * width);
      };
    }
    const { logits } = await model.forward([ids], { kernels, hooks });
    const vocab = model.config.vocabSize;
    const last = logits!.subarray((ids.length - 1) * vocab, ids.length * vocab);
    const rel = maxRelativeError(last, c.logits_last);
    worst = Math.max(worst, rel);
    assert.ok(rel < 1e-4, `${c.text}: max relative logit error ${rel}`);
    const argmax: number[] = [];
    for (let t = 0; t < ids.length; t++) {
      let best = 0;
      for (let i = 1; i < vocab; i++) if (logits![t * vocab + i]! > logits![t * vocab + best]!) best = i;
      argmax.push(best);
    }
    assert.deepEqual(argmax, c.logits_argmax);
    for (let l = 0; l < c.resid_norms.length; l++) {
      assert.ok(maxRelativeError(norms[l]!, c.resid_norms[l]!) < 1e-4, `resid norms layer ${l}`);
    }
    assert.ok(maxRelativeError(residLayer2!, c.resid_last_layer2) < 1e-4, "resid[2] at the last position");
  }
  console.log(
    `# stories260K: max relative last-position logit error ${worst.toExponential(2)} (max|a-b|/max|b|)`,
  );
});

test('after "...She loved to play with her" the top next token is " to" with p ≈ 0.70', async () => {
  const ids = model.tokenizer!.encode(referenceCases()[0]!.text);
  const { logits } = await model.forward([ids], { kernels });
  const vocab = model.config.vocabSize;
  const last = logits!.subarray((ids.length - 1) * vocab);
  let best = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < vocab; i++) if (last[i]! > max) [max, best] = [last[i]!, i];
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp(last[i]! - max);
  assert.equal(model.tokenizer!.tokenString(best), " to");
  const p = 1 / sum;
  assert.ok(Math.abs(p - 0.7) < 0.03, `p(" to") = ${p}`);
});

test("mean next-token loss on a TinyStories slice, and forward speed", async () => {
  // 200 stories, each with BOS, truncated to 128 tokens to keep the test short (the model's seq_len is 512;
  // the loss is 1.39 / 1.42 / 1.46 / 1.50 at 64 / 128 / 256 / 512 tokens on the first 300 stories).
  const sequences = corpusStories()
    .slice(0, 200)
    .map((s) => model.tokenizer!.encode(s).subarray(0, 128));
  const start = performance.now();
  const { sumLoss, tokens } = await nextTokenLoss(model, sequences, { kernels });
  const seconds = (performance.now() - start) / 1000;
  const mean = sumLoss / tokens;
  console.log(`# stories260K: mean next-token loss ${mean.toFixed(4)} nats/token over ${tokens} predictions`);
  // The shared README quotes ≈ 1.2 (the model's own validation figure is 1.30); on this slice it is ≈ 1.42,
  // and an independent float64 numpy forward gives the same loss on long stories to 1e-7.
  assert.ok(mean > 1.0 && mean < 1.6, `mean loss ${mean}`);

  // Forward speed on seq_len-256 batches of 16 sequences packed from the corpus (logged, not asserted).
  const rows = sequences.reduce((n, s) => n + s.length, 0);
  console.log(
    `# stories260K: loss pass ${(rows / seconds).toFixed(0)} tokens/s (incl. logits + cross-entropy)`,
  );
  const flat = sequences.flatMap((s) => Array.from(s));
  const chunks: Int32Array[] = [];
  for (let i = 0; i + 256 <= flat.length && chunks.length < 16; i += 256) {
    chunks.push(Int32Array.from(flat.slice(i, i + 256)));
  }
  const t0 = performance.now();
  for (let b = 0; b < chunks.length; b += 16) await model.forward(chunks.slice(b, b + 16), { kernels });
  const rate = (chunks.length * 256) / ((performance.now() - t0) / 1000);
  console.log(`# stories260K: forward ${rate.toFixed(0)} tokens/s (batches 16×256, logits, ${kernels.name})`);
});
