import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import test from "node:test";
import { ActivationDataset } from "../../src/data/activation-dataset.js";
import { harvest } from "../../src/data/harvest.js";
import { buildFeatureCache } from "../../src/features/build-feature-cache.js";
import { FeatureCache } from "../../src/features/feature-cache-file.js";
import { writeSaeFolder } from "../../src/io/sae-folder.js";
import { chooseKernels } from "../../src/kernels/choose-kernels.js";
import { loadTransformer } from "../../src/transformer/load-model.js";
import { randomSae } from "../helpers/random-sae.js";
import { corpusPath, stories260kBin } from "../helpers/stories260k.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const dir = useTemporaryFolder("cosae-features-stories-");

const residHook = "blocks.3.hook_resid_pre";
const attnHook = "blocks.1.hook_attn_out";

test("on stories260K: a decoder row along W_U[t] / g promotes t first (and its negative suppresses it); concepts from the text", async () => {
  const kernels = await chooseKernels(0);
  try {
    const model = await loadTransformer(stories260kBin);
    const { dim: d, vocabSize } = model.config;
    const started = performance.now();
    await harvest({
      model,
      modelPath: stories260kBin,
      text: corpusPath,
      outputs: [
        { hook: residHook, folder: join(dir(), "resid") },
        { hook: attnHook, folder: join(dir(), "attn") },
      ],
      contextLength: 64,
      batchTokens: 2048,
      maxRows: 3000,
      skipBos: true,
      shardRows: 1000,
      dtype: "f32",
      fileFormat: "safetensors",
      resume: false,
      kernels,
    });
    console.log(`harvest of 2 × ~3000 rows: ${(performance.now() - started).toFixed(0)} ms`);

    // Token t's row of W_U, with the final norm's gain divided out, is latent i's decoder row (−row: latent 4 + i).
    const wU = model.weights.classifier;
    const g = model.weights.finalNorm.weight;
    const row = (u: number) => Array.from({ length: d }, (_, c) => wU[u * d + c]!);
    const dot = (a: number[], b: number[]) => a.reduce((s, x, c) => s + x * b[c]!, 0);
    // Through the gain the logits of that row are W_U·W_U[t]: t comes first where no other row beats its own norm.
    const selfFirst = (t: number) => {
      const own = dot(row(t), row(t));
      for (let u = 0; u < vocabSize; u++)
        if (u !== t && dot(row(u), row(t)) >= own * (1 - 1e-4)) return false;
      return true;
    };
    const targets: number[] = [];
    for (let t = 3; t < vocabSize && targets.length < 4; t += 37) if (selfFirst(t)) targets.push(t);
    assert.equal(targets.length, 4);
    const sae = randomSae({ d, m: 16, k: 4, score: "cosine" }, 5);
    targets.forEach((t, i) => {
      const v = row(t).map((x, c) => x / g[c]!);
      const n = Math.hypot(...v);
      for (let c = 0; c < d; c++) {
        sae.params.decoder[i * d + c] = v[c]! / n;
        sae.params.decoder[(4 + i) * d + c] = -v[c]! / n;
      }
    });
    const saePath = join(dir(), "sae");
    await writeSaeFolder(saePath, sae);

    const data = await ActivationDataset.open(join(dir(), "resid"));
    const vocab = (await data.vocab())!;
    const out = join(dir(), "resid.bin");
    const phases: string[] = [];
    const t0 = performance.now();
    const header = await buildFeatureCache({
      saePath,
      dataPath: join(dir(), "resid"),
      out,
      options: { tokens: 2000, promoted: 10 },
      kernels,
      progress: (phase) => {
        if (phases.at(-1) !== phase) phases.push(phase);
      },
    });
    console.log(
      `stories260K cache (m 16, ${header.overview.tokens} tokens): ${(performance.now() - t0).toFixed(0)} ms, ${statSync(out).size} bytes`,
    );
    assert.deepEqual(phases, ["read", "encode", "concepts", "unembedding", "records"]);
    assert.equal(header.overview.hasUnembedding, true);
    assert.equal(header.overview.model, stories260kBin);
    assert.equal(header.stamp.model, stories260kBin);
    assert.equal(header.overview.hasConcepts, true);
    assert.ok(
      header.overview.tokens >= 2000 && header.overview.firstRow + header.overview.tokens === data.rows,
    );

    const cache = await FeatureCache.open(out);
    try {
      for (const [i, t] of targets.entries()) {
        const up = await cache.record(i);
        const down = await cache.record(4 + i);
        assert.equal(up.promoted![0]!.token, vocab[t], `latent ${i}: token ${t}`);
        assert.equal(down.suppressed![0]!.token, vocab[t], `latent ${4 + i}: token ${t}`);
        // The logit itself: W_U (g ⊙ s·d_j) at t = s ‖W_U[t]‖² / ‖W_U[t] / g‖.
        const v = row(t).map((x, c) => x / g[c]!);
        const want = (sae.constants.scale * dot(row(t), row(t))) / Math.hypot(...v);
        assert.ok(Math.abs(up.promoted![0]!.logit / want - 1) < 1e-3, `${up.promoted![0]!.logit} vs ${want}`);
        assert.ok(Math.abs(down.suppressed![0]!.logit / -want - 1) < 1e-3);
        assert.equal(up.promoted!.length, 10);
        for (let k = 1; k < 10; k++) {
          assert.ok(up.promoted![k - 1]!.logit >= up.promoted![k]!.logit);
          assert.ok(up.suppressed![k - 1]!.logit <= up.suppressed![k]!.logit);
        }
      }
      // Concepts: at most five per latent, best first, the first the table's best.
      for (let j = 0; j < 16; j++) {
        const r = await cache.record(j);
        assert.ok(r.concepts.length <= 5);
        for (let k = 1; k < r.concepts.length; k++) assert.ok(r.concepts[k - 1]!.f1 >= r.concepts[k]!.f1);
        assert.equal(header.table.bestConcept[j], r.concepts[0]?.name ?? null);
        // Every context's tokens are the dataset's, in order.
        for (const c of r.top) {
          const tokens = await data.readTokens(c.row - c.focus, c.tokens.length);
          assert.deepEqual([...tokens.ids], c.tokens);
          assert.ok(tokens.sequence.every((s) => s === tokens.sequence[c.focus]));
        }
      }
    } finally {
      await cache.close();
    }

    // The attention output is not the residual stream: no promoted tokens, even with the model at hand.
    const attn = await buildFeatureCache({
      saePath,
      dataPath: join(dir(), "attn"),
      out: join(dir(), "attn.bin"),
      modelPath: stories260kBin,
      options: { tokens: 500 },
      kernels,
    });
    assert.equal(attn.overview.hasUnembedding, false);
    assert.equal(attn.stamp.model, null);
    const attnCache = await FeatureCache.open(join(dir(), "attn.bin"));
    assert.equal((await attnCache.record(0)).promoted, null);
    await attnCache.close();
  } finally {
    await kernels.dispose();
  }
});
