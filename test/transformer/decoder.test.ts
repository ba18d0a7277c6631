import assert from "node:assert/strict";
import { test } from "node:test";
import type { Kernels } from "../../src/kernels/kernels.js";
import { referenceKernels } from "../../src/kernels/reference.js";
import type { DecoderModel } from "../../src/transformer/decoder.js";
import { layerNormalize } from "../../src/transformer/layer-math.js";
import { gpt2Traits, randomDecoder, smallConfig } from "../helpers/random-decoder.js";

const sequences = [Int32Array.from([3, 14, 15, 9, 26, 5, 35]), Int32Array.from([8, 9, 7, 9])];

/** The reference kernels, counting the matrix products they are asked for. */
function countingKernels(): Kernels & { products: number } {
  const kernels = {
    ...referenceKernels,
    products: 0,
    denseScores(...args: Parameters<Kernels["denseScores"]>) {
      kernels.products++;
      return referenceKernels.denseScores(...args);
    },
  };
  return kernels;
}

async function capture(model: DecoderModel, seqs = sequences, stopAfter?: string) {
  const seen = new Map<string, Float32Array>();
  const hooks = Object.fromEntries(
    model.hooks.map((h) => [h.name, (v: Float32Array) => void seen.set(h.name, v.slice())]),
  );
  const kernels = countingKernels();
  const { logits } = await model.forward(seqs, { kernels, hooks, ...(stopAfter ? { stopAfter } : {}) });
  return { seen, logits, products: kernels.products };
}

test("hooks follow the residual layout: positions, parallel blocks without resid_mid, post-norms", () => {
  const names = (m: DecoderModel) => m.hooks.map((h) => h.name);
  const gpt2 = names(randomDecoder(smallConfig(gpt2Traits)));
  assert.deepEqual(gpt2.slice(0, 3), ["hook_embed", "hook_pos_embed", "blocks.0.hook_resid_pre"]);
  const neox = names(
    randomDecoder(smallConfig({ ...gpt2Traits, residual: "parallel", learnedPositions: false })),
  );
  assert.deepEqual(neox.slice(0, 8), [
    "hook_embed",
    "blocks.0.hook_resid_pre",
    "blocks.0.ln1.hook_normalized",
    "blocks.0.hook_attn_out",
    "blocks.0.ln2.hook_normalized",
    "blocks.0.mlp.hook_post",
    "blocks.0.hook_mlp_out",
    "blocks.0.hook_resid_post",
  ]);
  const gemma = names(randomDecoder(smallConfig({ postNorms: true })));
  assert.deepEqual(gemma.slice(1, 12), [
    "blocks.0.hook_resid_pre",
    "blocks.0.ln1.hook_normalized",
    "blocks.0.ln1_post.hook_normalized",
    "blocks.0.hook_attn_out",
    "blocks.0.hook_resid_mid",
    "blocks.0.ln2.hook_normalized",
    "blocks.0.mlp.hook_post",
    "blocks.0.ln2_post.hook_normalized",
    "blocks.0.hook_mlp_out",
    "blocks.0.hook_resid_post",
    "blocks.1.hook_resid_pre",
  ]);
});

test("a forward that stops after a hook computes no layer past it", async () => {
  const model = randomDecoder(smallConfig({ ...gpt2Traits, layers: 4 }));
  const full = await capture(model);
  // 4 products a layer (qkv, W_O, up, down) and the unembedding.
  assert.equal(full.products, 4 * 4 + 1);
  const cases: [string, number][] = [
    ["hook_embed", 0],
    ["blocks.0.ln1.hook_normalized", 0],
    ["blocks.1.hook_attn_out", 4 + 2],
    ["blocks.1.hook_resid_post", 8],
    ["blocks.2.hook_resid_pre", 8],
    ["ln_final.hook_normalized", 16],
  ];
  for (const [hook, products] of cases) {
    const stopped = await capture(model, sequences, hook);
    assert.equal(stopped.products, products, hook);
    assert.equal(stopped.logits, undefined);
    assert.deepEqual(stopped.seen.get(hook), full.seen.get(hook), hook);
    const last = model.hooks.findIndex((h) => h.name === hook);
    for (const later of model.hooks.slice(last + 1)) assert.ok(!stopped.seen.has(later.name), later.name);
  }
});

test("GPT-2 layout: hook_embed and hook_pos_embed sum to resid_pre; positions restart per sequence", async () => {
  const model = randomDecoder(smallConfig(gpt2Traits));
  const { seen, logits } = await capture(model);
  const { dim } = model.config;
  const embed = seen.get("hook_embed")!;
  const pos = seen.get("hook_pos_embed")!;
  const pre = seen.get("blocks.0.hook_resid_pre")!;
  const wpe = model.weights.positionEmbedding!;
  // Row 7 is the second sequence's first token: position 0.
  assert.deepEqual(pos.subarray(7 * dim, 8 * dim), wpe.subarray(0, dim));
  assert.deepEqual(embed.subarray(7 * dim, 8 * dim), model.weights.tokenEmbedding.subarray(8 * dim, 9 * dim));
  for (let i = 0; i < pre.length; i++) assert.equal(pre[i], Math.fround(embed[i]! + pos[i]!));
  // LayerNorm's hook value: zero mean, unit variance per row.
  const ln1 = seen.get("blocks.0.ln1.hook_normalized")!;
  assert.deepEqual(ln1, layerNormalize(pre, 11, dim, 1e-5));
  // Packed sequences give the logits of each alone.
  const alone = (await capture(model, [sequences[1]!])).logits!;
  const vocab = model.config.vocabSize;
  const packed = logits!.subarray(7 * vocab);
  for (let i = 0; i < alone.length; i++) assert.ok(Math.abs(alone[i]! - packed[i]!) < 1e-5);
});

test("parallel residual: both norms read resid_pre and resid_post = resid_pre + attn_out + mlp_out", async () => {
  const model = randomDecoder(smallConfig({ ...gpt2Traits, residual: "parallel", learnedPositions: false }));
  const { seen } = await capture(model);
  assert.deepEqual(seen.get("blocks.1.ln2.hook_normalized"), seen.get("blocks.1.ln1.hook_normalized"));
  const pre = seen.get("blocks.1.hook_resid_pre")!;
  const attn = seen.get("blocks.1.hook_attn_out")!;
  const mlp = seen.get("blocks.1.hook_mlp_out")!;
  const post = seen.get("blocks.1.hook_resid_post")!;
  for (let i = 0; i < post.length; i++)
    assert.equal(post[i], Math.fround(Math.fround(pre[i]! + attn[i]!) + mlp[i]!));
});

test("post-norms: attn_out and mlp_out are the normalized sublayer outputs times (1 + g)", async () => {
  const model = randomDecoder(
    smallConfig({
      postNorms: true,
      norm: { kind: "rms", eps: 1e-6, unitOffset: true },
      embeddingScale: Math.fround(Math.sqrt(32)),
    }),
  );
  const { seen } = await capture(model);
  const g = model.weights.layers[0]!.ln1Post!.weight;
  const normalized = seen.get("blocks.0.ln1_post.hook_normalized")!;
  const attn = seen.get("blocks.0.hook_attn_out")!;
  for (let i = 0; i < attn.length; i++)
    assert.equal(attn[i], Math.fround(normalized[i]! * Math.fround(1 + g[i % 32]!)));
  // The embedding is scaled by √d (rounded to float32, as transformers does).
  const embed = seen.get("hook_embed")!;
  assert.equal(embed[0], Math.fround(model.weights.tokenEmbedding[3 * 32]! * Math.fround(Math.sqrt(32))));
});

test("final soft-capping maps each logit through c·tanh(x/c); a window no shorter than the sequence changes nothing", async () => {
  const plain = (await capture(randomDecoder(smallConfig(), 7))).logits!;
  const capped = (await capture(randomDecoder(smallConfig({ finalSoftcap: 2 }), 7))).logits!;
  for (let i = 0; i < plain.length; i++)
    assert.ok(Math.abs(capped[i]! - 2 * Math.tanh(plain[i]! / 2)) < 1e-6);
  const slidingAll = [true, true, true];
  const wide = (await capture(randomDecoder(smallConfig({ slidingWindow: 7, slidingLayers: slidingAll }), 7)))
    .logits!;
  assert.deepEqual(wide, plain);
  const narrow = (
    await capture(randomDecoder(smallConfig({ slidingWindow: 2, slidingLayers: slidingAll }), 7))
  ).logits!;
  // Rows 0–1 of each sequence see the same keys either way; later rows see fewer.
  const vocab = 50;
  assert.deepEqual(narrow.subarray(0, 2 * vocab), plain.subarray(0, 2 * vocab));
  assert.ok(Math.abs(narrow[5 * vocab]! - plain[5 * vocab]!) > 1e-4);
  // Only the marked layers slide: none marked is the plain model.
  const unmarked = (
    await capture(randomDecoder(smallConfig({ slidingWindow: 2, slidingLayers: [false, false, false] }), 7))
  ).logits!;
  assert.deepEqual(unmarked, plain);
});

test("the logit lens: LayerNorm ignores a direction's mean; Gemma's gain is 1 + g; the final soft-cap applies", async () => {
  const gpt2 = randomDecoder(smallConfig(gpt2Traits));
  const d = Float32Array.from({ length: 32 }, (_, i) => Math.sin(i));
  const shifted = d.map((x) => x + 0.75);
  const a = (await gpt2.unembedDirections(d, 1, referenceKernels)).slice();
  const b = (await gpt2.unembedDirections(shifted, 1, referenceKernels)).slice();
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-5);
  const gemma = randomDecoder(
    smallConfig({ norm: { kind: "rms", eps: 1e-6, unitOffset: true }, finalSoftcap: 3 }),
  );
  const logits = await gemma.unembedDirections(d, 1, referenceKernels);
  const g = gemma.weights.finalNorm.weight;
  const wU = gemma.weights.classifier;
  for (const token of [0, 17, 49]) {
    let raw = 0;
    for (let i = 0; i < 32; i++) raw += wU[token * 32 + i]! * Math.fround(1 + g[i]!) * d[i]!;
    assert.ok(Math.abs(logits[token]! - 3 * Math.tanh(raw / 3)) < 1e-5, `token ${token}`);
  }
});
