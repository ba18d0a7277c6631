import assert from "node:assert/strict";
import { copyFile, truncate, utimes, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import test from "node:test";
import {
  buildFeatureCache,
  defaultCachePath,
  ensureFeatureCache,
  type FeatureCacheOptions,
} from "../../src/features/build-feature-cache.js";
import { FeatureCache } from "../../src/features/feature-cache-file.js";
import type { LatentRecord, TokenContext } from "../../src/features/latent-record.js";
import { roundSignificant } from "../../src/features/round-significant.js";
import { writeNpy } from "../../src/io/npy.js";
import { weightsFile, writeSaeFolder } from "../../src/io/sae-folder.js";
import { writeSaeLensFolder } from "../../src/io/saelens-export.js";
import { chooseKernels } from "../../src/kernels/choose-kernels.js";
import type { Kernels } from "../../src/kernels/kernels.js";
import { identitySae } from "../helpers/identity-sae.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";
import {
  code,
  D,
  handmadeRows,
  LATENT0,
  norm,
  ROWS,
  VOCAB,
  writeHandmadeDataset,
} from "./handmade-dataset.js";

const dir = useTemporaryFolder("cosae-features-");

const options: Partial<FeatureCacheOptions> = {
  top: 3,
  before: 2,
  after: 1,
  bands: 2,
  perBand: 2,
  scatterFiring: 100,
  scatterSilent: 100,
  histogramBins: 4,
};

/** An SAE folder with the identity SAE of d = 3 under `<root>/<name>/sae`, and the hand-made dataset. */
async function setup(name: string, vocab = true): Promise<{ sae: string; data: string; root: string }> {
  const root = join(dir(), name);
  const sae = join(root, "sae");
  const data = join(root, "acts");
  await writeSaeFolder(sae, identitySae(D));
  await writeHandmadeDataset(data, { vocab });
  return { sae, data, root };
}

async function withKernels<T>(run: (kernels: Kernels) => Promise<T>): Promise<T> {
  const kernels = await chooseKernels(1);
  try {
    return await run(kernels);
  } finally {
    await kernels.dispose();
  }
}

/** The window around dataset row t as the design says: `before`/`after` rows within t's sequence and the cache's rows. */
function expectedContext(t: number, latent: number, firstRow: number, before = 2, after = 1): TokenContext {
  const { tokens } = handmadeRows();
  let from = t;
  while (from - 1 >= firstRow && t - from < before && tokens.sequence[from - 1] === tokens.sequence[t])
    from--;
  let to = t;
  while (to + 1 < ROWS && to - t < after && tokens.sequence[to + 1] === tokens.sequence[t]) to++;
  const rows = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  return {
    row: t,
    focus: t - from,
    tokens: rows.map((r) => tokens.ids[r]!),
    acts: rows.map((r) => code(r, latent)),
  };
}

/** The focus activation of a context. */
const focusAct = (c: TokenContext) => c.acts[c.focus]!;

test("a hand-made dataset: top contexts, windows, summary, bands, histogram and scatter are exactly its codes", async () => {
  const { sae, data } = await setup("exact");
  const out = defaultCachePath(sae, data);
  assert.equal(out, join(sae, "feature-cache.acts.bin"));
  const phases = new Set<string>();
  const started = performance.now();
  const header = await withKernels((kernels) =>
    buildFeatureCache({
      saePath: sae,
      dataPath: data,
      out,
      options: { ...options, top: 5, tokens: 1000 },
      kernels,
      progress: (phase, done, total) => {
        assert.ok(done >= 0 && done <= total, `${phase} ${done}/${total}`);
        phases.add(phase);
      },
    }),
  );
  console.log(`hand-made cache built in ${(performance.now() - started).toFixed(0)} ms`);
  assert.deepEqual([...phases], ["read", "encode", "concepts", "records"]);

  // Overview: tokens > rows uses every row; the identity SAE reconstructs exactly.
  const o = header.overview;
  assert.equal(o.label, "exact");
  assert.equal(o.architecture, "cosae");
  assert.deepEqual([o.d, o.m, o.firstRow, o.tokens], [D, 2 * D, 0, ROWS]);
  assert.equal(o.hook, "blocks.0.hook_resid_pre");
  assert.equal(o.measures.fvu, 0);
  assert.equal(o.measures.l0, 2); // latent 1 on 20 rows, latent 0 on 7, latent 5 on 13
  assert.equal(o.measures.deadShare, 0.5); // latents 2, 3, 4
  assert.equal(o.measures.alphaMedian, null);
  assert.equal(o.hasUnembedding, false);
  assert.deepEqual(header.vocab, VOCAB);

  const cache = await FeatureCache.open(out);
  try {
    const r: LatentRecord = await cache.record(0);
    // Highest first, the tie (rows 7 and 15 at 1) by row; the first fire opens a sequence, the second ends one.
    assert.deepEqual(
      r.top.map((c) => c.row),
      [4, 12, 1, 7, 15],
    );
    assert.deepEqual(r.top[0], { row: 4, focus: 0, tokens: [(4 * 5) % 11, (5 * 5) % 11], acts: [3.5, 0] });
    assert.deepEqual(r.top[1], {
      row: 12,
      focus: 2,
      tokens: [50 % 11, 55 % 11, 60 % 11],
      acts: [0, 0, 2.25],
    });
    assert.deepEqual(
      r.top,
      [4, 12, 1, 7, 15].map((t) => expectedContext(t, 0, 0)),
    );
    assert.equal(r.frequency, 7 / 20);
    assert.equal(r.meanActivation, roundSignificant(10 / 7));
    assert.equal(r.maxActivation, 3.5);
    assert.equal(r.alpha, 1);

    // Histogram over [0, 3.5] in 4 bins: 0.25, 0.5 | 1, 1, 1.5 | 2.25 | 3.5.
    assert.deepEqual(r.histogram, { lo: 0, hi: 3.5, counts: [2, 3, 1, 1] });

    // Two rank bands partition the 7 fires: ranks 0–2 and 3–6; samples lie in their band.
    assert.deepEqual(
      r.quantiles.map((q) => [q.label, q.lo, q.hi, q.count]),
      [
        ["top 50%", 1.5, 3.5, 3],
        ["50–100%", 0.25, 1, 4],
      ],
    );
    const bandRows = [new Set([4, 12, 1]), new Set([7, 15, 17, 18])];
    r.quantiles.forEach((q, b) => {
      assert.equal(q.examples.length, 2);
      assert.notEqual(q.examples[0]!.row, q.examples[1]!.row);
      for (const c of q.examples) {
        assert.ok(bandRows[b]!.has(c.row), `band ${b} example row ${c.row}`);
        assert.ok(focusAct(c) >= q.lo && focusAct(c) <= q.hi);
        assert.deepEqual(c, expectedContext(c.row, 0, 0));
      }
      assert.ok(focusAct(q.examples[0]!) >= focusAct(q.examples[1]!), "examples highest first");
    });

    // Scatter: every fire (7 < 100) with its own norm and activation, every silent row (13) at 0.
    const pairs = r.normScatter.norm.map((n, i) => `${n}@${r.normScatter.act[i]}`).sort();
    const expected: string[] = [];
    for (let t = 0; t < ROWS; t++) expected.push(`${roundSignificant(norm(t))}@${LATENT0.get(t) ?? 0}`);
    assert.deepEqual(pairs, expected.sort());

    // Latent 1 fires on every row: no silent points, no AUROC (no negatives); latent 2 never fires.
    const dense = await cache.record(1);
    assert.equal(dense.frequency, 1);
    assert.equal(dense.normScatter.act.length, 20);
    assert.ok(dense.normScatter.act.every((a) => a > 0));
    assert.equal(dense.normAuroc, null);
    assert.equal(
      dense.quantiles.reduce((s, q) => s + q.count, 0),
      20,
    );
    assert.equal(
      dense.histogram.counts.reduce((s, c) => s + c, 0),
      20,
    );
    for (const q of dense.quantiles)
      for (const c of q.examples) assert.deepEqual(c, expectedContext(c.row, 1, 0));
    const dead = await cache.record(2);
    assert.deepEqual(
      [dead.frequency, dead.maxActivation, dead.top.length, dead.quantiles.length],
      [0, 0, 0, 0],
    );
    assert.deepEqual(dead.histogram.counts, [0, 0, 0, 0]);
    assert.equal(dead.normScatter.norm.length, 20); // every row, all silent
    assert.deepEqual(dead.promoted, null);

    // Latent 5 fires t mod 3 on rows t mod 3 ≠ 0: its contexts' activations are those codes.
    const five = await cache.record(5);
    assert.equal(five.frequency, 13 / 20);
    for (const c of five.top) assert.deepEqual(c, expectedContext(c.row, 5, 0));
    // All at 2 (rows t mod 3 = 2): the ties in row order.
    assert.deepEqual(
      five.top.map((c) => [c.row, focusAct(c)]),
      [
        [2, 2],
        [5, 2],
        [8, 2],
        [11, 2],
        [14, 2],
      ],
    );

    // The table agrees with the records.
    const table = header.table;
    for (let j = 0; j < 2 * D; j++) {
      const rec = await cache.record(j);
      assert.equal(table.frequency[j], rec.frequency);
      assert.equal(table.meanActivation[j], rec.meanActivation);
      assert.equal(table.maxActivation[j], rec.maxActivation);
      assert.equal(table.normAuroc[j], rec.normAuroc);
      assert.equal(table.bestF1[j], rec.concepts[0]?.f1 ?? 0);
      assert.equal(table.bestConcept[j], rec.concepts[0]?.name ?? null);
    }
    // Latent 0's top focus tokens: ids 9 (row 4), 5 (row 12), 5 (row 1), 2 (row 7), 9 (row 15), 8, 2 → by count.
    assert.equal(table.topTokens[0], "w9 w5 w2 w8");
    assert.equal(table.topTokens[2], "");
  } finally {
    await cache.close();
  }
});

test("the cache's rows are the dataset's last `tokens`, moved back to a sequence start", async () => {
  const { sae, data, root } = await setup("tail");
  const out = join(root, "tail.bin");
  // The last 8 rows start at row 12, inside the sequence of rows 10–12.
  const header = await withKernels((kernels) =>
    buildFeatureCache({ saePath: sae, dataPath: data, out, options: { ...options, tokens: 8 }, kernels }),
  );
  assert.deepEqual([header.overview.firstRow, header.overview.tokens], [10, 10]);
  const cache = await FeatureCache.open(out);
  try {
    const r = await cache.record(0);
    // Fires in rows 10–19: 12 (2.25), 15 (1), 17 (0.5), 18 (0.25).
    assert.deepEqual(
      r.top.map((c) => c.row),
      [12, 15, 17],
    );
    assert.deepEqual(
      r.top,
      [12, 15, 17].map((t) => expectedContext(t, 0, 10)),
    );
    assert.equal(r.frequency, 4 / 10);
  } finally {
    await cache.close();
  }
});

test("without a vocabulary tokens show as #id and there are no concepts; without token ids or at the wrong d, clear errors", async () => {
  const { sae, data, root } = await setup("no-vocab", false);
  const out = join(root, "cache.bin");
  await withKernels(async (kernels) => {
    const header = await buildFeatureCache({ saePath: sae, dataPath: data, out, options, kernels });
    assert.equal(header.vocab, null);
    assert.equal(header.overview.hasConcepts, false);
    assert.equal(header.overview.measures.alignedShare, null);
    assert.equal(header.table.topTokens[0], "#9 #5 #2 #8");
    assert.deepEqual(header.table.bestConcept, new Array(2 * D).fill(null));

    const bare = join(root, "bare.npy");
    await writeNpy(bare, handmadeRows().x, [ROWS, D]);
    await assert.rejects(
      buildFeatureCache({ saePath: sae, dataPath: bare, out, kernels }),
      /bare\.npy: .*the browser needs token ids: harvest with cosae harvest/,
    );
    const wide = join(root, "wide-sae");
    await writeSaeFolder(wide, identitySae(D + 1));
    await assert.rejects(
      buildFeatureCache({ saePath: wide, dataPath: data, out, kernels }),
      /rows have d = 3 but the SAE .*wide-sae has d = 4/,
    );
    await assert.rejects(
      buildFeatureCache({ saePath: sae, dataPath: data, out, kernels, options: { bands: 0 } }),
      /option "bands" is 0; expected an integer ≥ 1/,
    );
    await assert.rejects(
      buildFeatureCache({ saePath: sae, dataPath: data, out, kernels, modelPath: join(root, "nothing.bin") }),
      /nothing\.bin: model not found/,
    );
  });
});

test("ensureFeatureCache reuses a cache with the same stamp and rebuilds on any change or a damaged file", async () => {
  const { sae, data } = await setup("stamp");
  const out = defaultCachePath(sae, data);
  await withKernels(async (kernels) => {
    const args = { saePath: sae, dataPath: data, out, options, kernels };
    const first = await ensureFeatureCache(args);
    assert.equal(first.built, true);
    const again = await ensureFeatureCache(args);
    assert.equal(again.built, false);
    assert.deepEqual(again.header, first.header);
    assert.equal((await ensureFeatureCache({ ...args, rebuild: true })).built, true);

    // Another option, or a retrained SAE (new mtime), rebuilds.
    const other = await ensureFeatureCache({ ...args, options: { ...options, seed: 1 } });
    assert.equal(other.built, true);
    assert.equal(other.header.stamp.options["seed"], 1);
    assert.equal((await ensureFeatureCache({ ...args, options: { ...options, seed: 1 } })).built, false);
    const later = new Date(Date.now() + 5000);
    await utimes(join(sae, weightsFile), later, later);
    assert.equal((await ensureFeatureCache({ ...args, options: { ...options, seed: 1 } })).built, true);

    // A truncated cache: open says what is wrong, ensure rebuilds it.
    await truncate(out, 200);
    await assert.rejects(FeatureCache.open(out), /not a complete cosae feature cache/);
    assert.equal((await ensureFeatureCache(args)).built, true);
    await writeFile(out, "not a cache");
    assert.equal((await ensureFeatureCache(args)).built, true);
    const cache = await FeatureCache.open(out);
    assert.equal((await cache.record(0)).top[0]!.row, 4);
    await cache.close();

    // A cache copied from another SAE's folder is not reused: its stamp names that SAE.
    const second = await setup("stamp-other");
    const otherOut = defaultCachePath(second.sae, second.data);
    await copyFile(out, otherOut);
    const copied = await ensureFeatureCache({
      ...args,
      saePath: second.sae,
      dataPath: second.data,
      out: otherOut,
    });
    assert.equal(copied.built, true);
    assert.equal(copied.header.stamp.sae.path, resolve(second.sae));
  });
});

test("a SAELens folder of the same SAE gives the same records, named by its architecture", async () => {
  const { sae, data, root } = await setup("saelens");
  const lens = join(root, "lens");
  await writeSaeLensFolder(lens, identitySae(D));
  await withKernels(async (kernels) => {
    const ours = await buildFeatureCache({
      saePath: sae,
      dataPath: data,
      out: join(root, "a.bin"),
      options,
      kernels,
    });
    const theirs = await buildFeatureCache({
      saePath: lens,
      dataPath: data,
      out: join(root, "b.bin"),
      options,
      kernels,
    });
    assert.equal(theirs.overview.architecture, "saelens:jumprelu");
    assert.deepEqual(theirs.table, ours.table);
    const [a, b] = [
      await FeatureCache.open(join(root, "a.bin")),
      await FeatureCache.open(join(root, "b.bin")),
    ];
    for (let j = 0; j < 2 * D; j++) assert.deepEqual(await b.record(j), await a.record(j));
    await a.close();
    await b.close();
  });
});
