import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Kernels } from "../../src/kernels/kernels.js";
import { createOnnxruntimeKernels } from "../../src/kernels/onnxruntime.js";
import type { DecoderModel } from "../../src/transformer/decoder.js";
import { loadTransformer } from "../../src/transformer/load-model.js";
import { nextTokenLoss } from "../../src/transformer/next-token-loss.js";
import { referenceCases, stories260kBin } from "../helpers/stories260k.js";

let kernels: Kernels;
let model: DecoderModel;
let sequences: Int32Array[];
before(async () => {
  kernels = await createOnnxruntimeKernels(2);
  model = await loadTransformer(stories260kBin);
  sequences = referenceCases().map((c) => Int32Array.from(c.ids));
});
after(async () => {
  await kernels.dispose();
});

/** Every hook's value from one pass, copied. */
async function captureAll(seqs: Int32Array[], stopAfter?: string): Promise<Map<string, Float32Array>> {
  const seen = new Map<string, Float32Array>();
  const hooks = Object.fromEntries(
    model.hooks.map((h) => [h.name, (v: Float32Array) => void seen.set(h.name, v.slice())]),
  );
  await model.forward(seqs, stopAfter === undefined ? { kernels, hooks } : { kernels, hooks, stopAfter });
  return seen;
}

test("the model lists its hooks in forward order with widths and descriptions", () => {
  const L = model.config.layers;
  assert.equal(model.hooks.length, 8 * L + 3);
  assert.equal(model.hooks[0]?.name, "hook_embed"); // no hook_pos_embed: rotary positions
  assert.deepEqual(
    model.hooks.slice(1, 9).map((h) => h.name),
    [
      "blocks.0.hook_resid_pre",
      "blocks.0.ln1.hook_normalized",
      "blocks.0.hook_attn_out",
      "blocks.0.hook_resid_mid",
      "blocks.0.ln2.hook_normalized",
      "blocks.0.mlp.hook_post",
      "blocks.0.hook_mlp_out",
      "blocks.0.hook_resid_post",
    ],
  );
  assert.equal(model.hooks.find((h) => h.name === "blocks.3.mlp.hook_post")?.width, 172);
  assert.equal(model.hooks.at(-2)?.name, `blocks.${L}.hook_resid_pre`);
  assert.equal(model.hooks.at(-1)?.name, "ln_final.hook_normalized");
  for (const h of model.hooks) assert.ok(h.description.length > 0);
});

test("hooks see consistent values: resid_mid = resid_pre + attn_out, next resid_pre = resid_post", async () => {
  const v = await captureAll(sequences);
  const pre = v.get("blocks.1.hook_resid_pre")!;
  const attn = v.get("blocks.1.hook_attn_out")!;
  const mid = v.get("blocks.1.hook_resid_mid")!;
  for (let i = 0; i < mid.length; i++) assert.equal(mid[i], Math.fround(pre[i]! + attn[i]!));
  assert.deepEqual(v.get("blocks.2.hook_resid_pre"), v.get("blocks.1.hook_resid_post"));
  assert.deepEqual(v.get("blocks.5.hook_resid_pre"), v.get("blocks.4.hook_resid_post"));
  // ln1.hook_normalized has unit RMS per row (TransformerLens' value, before the gain).
  const ln1 = v.get("blocks.0.ln1.hook_normalized")!;
  let ss = 0;
  for (let i = 0; i < 64; i++) ss += ln1[i]! ** 2;
  assert.ok(Math.abs(ss / 64 - 1) < 1e-3); // eps = 1e-5 shifts it slightly
  const rows = sequences.reduce((n, s) => n + s.length, 0);
  assert.equal(v.get("blocks.0.mlp.hook_post")!.length, rows * 172);
});

test("an identity-replacing hook leaves the logits unchanged; a changing one changes them downstream", async () => {
  const base = (await model.forward(sequences, { kernels })).logits!;
  const same = (
    await model.forward(sequences, { kernels, hooks: { "blocks.2.hook_resid_mid": (v) => v.slice() } })
  ).logits!;
  assert.deepEqual(same, base);
  const zeroed = (
    await model.forward(sequences, {
      kernels,
      hooks: { "blocks.2.hook_mlp_out": (v) => new Float32Array(v.length) },
    })
  ).logits!;
  let diff = 0;
  for (let i = 0; i < base.length; i++) diff = Math.max(diff, Math.abs(base[i]! - zeroed[i]!));
  assert.ok(diff > 0.1, `zeroing an MLP output moved the logits by only ${diff}`);
  // The replacement is what downstream hooks see.
  let seenPost: Float32Array | undefined;
  let seenMid: Float32Array | undefined;
  await model.forward(sequences, {
    kernels,
    hooks: {
      "blocks.2.hook_resid_mid": (v) => {
        seenMid = v;
      },
      "blocks.2.hook_mlp_out": (v) => new Float32Array(v.length),
      "blocks.2.hook_resid_post": (v) => {
        seenPost = v;
      },
    },
  });
  assert.deepEqual(seenPost, seenMid);
  // A loss with an ablated MLP is worse than without.
  const clean = await nextTokenLoss(model, sequences, { kernels });
  const ablated = await nextTokenLoss(model, sequences, {
    kernels,
    hooks: { "blocks.0.hook_mlp_out": (v) => new Float32Array(v.length) },
  });
  assert.equal(
    clean.tokens,
    sequences.reduce((n, s) => n + s.length - 1, 0),
  );
  assert.ok(ablated.sumLoss > clean.sumLoss);
});

test("stopAfter gives the same hook values as a full pass and skips the rest", async () => {
  const full = await captureAll(sequences);
  const stopped = await captureAll(sequences, "blocks.1.hook_resid_mid");
  assert.ok(stopped.has("blocks.1.hook_resid_mid"));
  assert.ok(!stopped.has("blocks.1.ln2.hook_normalized"));
  for (const [name, value] of stopped) assert.deepEqual(value, full.get(name), name);
  const result = await model.forward(sequences, { kernels, stopAfter: "blocks.0.hook_resid_pre" });
  assert.equal(result.logits, undefined);
});

test("a batch of packed sequences gives the same logits and hook values as one at a time", async () => {
  const batched = await captureAll(sequences);
  const batchedLogits = (await model.forward(sequences, { kernels })).logits!;
  let row = 0;
  const vocab = model.config.vocabSize;
  for (const seq of sequences) {
    const alone = await captureAll([seq]);
    const logits = (await model.forward([seq], { kernels })).logits!;
    const slice = batchedLogits.subarray(row * vocab, (row + seq.length) * vocab);
    let diff = 0;
    for (let i = 0; i < logits.length; i++) diff = Math.max(diff, Math.abs(logits[i]! - slice[i]!));
    assert.ok(diff < 1e-4, `logits differ by ${diff}`);
    for (const h of ["blocks.3.hook_resid_post", "blocks.1.mlp.hook_post"]) {
      const width = model.hooks.find((d) => d.name === h)!.width;
      const a = alone.get(h)!;
      const b = batched.get(h)!.subarray(row * width, (row + seq.length) * width);
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-4, h);
    }
    row += seq.length;
  }
});

test("unknown hook names, bad replacements and bad ids are refused", async () => {
  await assert.rejects(
    model.forward(sequences, { kernels, hooks: { "blocks.0.hook_resid": () => {} } }),
    /unknown hook "blocks.0.hook_resid"/,
  );
  await assert.rejects(
    model.forward(sequences, { kernels, stopAfter: "blocks.9.hook_resid_pre" }),
    /unknown hook/,
  );
  await assert.rejects(
    model.forward(sequences, { kernels, hooks: { "blocks.0.hook_mlp_out": () => new Float32Array(3) } }),
    /hook "blocks.0.hook_mlp_out" returned a Float32Array of 3; expected a Float32Array of 61×64/,
  );
  await assert.rejects(model.forward([Int32Array.of(1, 512)], { kernels }), /token 1 is 512/);
  await assert.rejects(model.forward([new Int32Array(513)], { kernels }), /at most 512/);
});
