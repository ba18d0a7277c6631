import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { BlockShuffle } from "../../src/data/activation-block-shuffle.js";
import { ActivationDataset } from "../../src/data/activation-dataset.js";
import { ActivationStreamSource } from "../../src/data/activation-source.js";
import { writeNpy } from "../../src/io/npy.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";
import { writeExampleDataset } from "./activation-fixtures.js";

const dir = useTemporaryFolder("cosae-stream-");
const D = 8;

/** Which dataset row each batch row is: example rows hold r + c/8, so column 0 is the row (mod 1000). */
function rowIds(batch: Float32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < batch.length / D; i++) out.push(batch[i * D]!);
  return out;
}

test("the block shuffle visits every row once per epoch, in windows, and reshuffles each epoch", () => {
  const plan = new BlockShuffle(1003, 50, 3, 7);
  assert.equal(plan.chunks, 21);
  assert.equal(plan.windowsPerEpoch, 7);
  for (const epoch of [0, 1]) {
    const seen = new Set<number>();
    for (let w = 0; w < plan.windowsPerEpoch; w++) {
      const key = { epoch, window: w };
      const chunks = plan.windowChunkList(key);
      const rows = chunks
        .map((c) => plan.chunkRange(c))
        .flatMap(([a, b]) => Array.from({ length: b - a }, (_, i) => a + i));
      assert.equal(rows.length, plan.windowRows(key));
      const order = plan.rowOrder(key, rows.length);
      assert.deepEqual(
        Array.from(order).sort((a, b) => a - b),
        rows.map((_, i) => i),
        "a permutation",
      );
      for (const r of rows) seen.add(r);
    }
    assert.equal(seen.size, 1003);
  }
  assert.notDeepEqual(
    plan.windowChunkList({ epoch: 0, window: 0 }),
    plan.windowChunkList({ epoch: 1, window: 0 }),
  );
  // Segments tile any range, crossing window and epoch boundaries.
  const segs = plan.segments(990, 40);
  assert.equal(
    segs.reduce((s, x) => s + x.count, 0),
    40,
  );
  assert.equal(segs[0]!.epoch, 0);
  assert.equal(segs.at(-1)!.epoch, 1);
  assert.deepEqual(segs.at(-1), { epoch: 1, window: 0, offset: 0, count: 27 });
});

test("streaming 21 shards through a 3-shard buffer: each row once per epoch, deterministic, bounded memory", async () => {
  const folder = join(dir(), "twenty");
  const shardRows = 100;
  await writeExampleDataset(folder, 2000, { d: D, shardRows }, 250);
  const dataset = await ActivationDataset.open(folder);
  assert.ok(dataset.shards.length >= 20, `${dataset.shards.length} shards`);
  const rows = dataset.rows;
  assert.equal(rows, 2000);
  // Shards hold ~100 rows; a buffer of 3 shards' worth (300 rows across both windows), 40-row chunks.
  const options = { seed: 3, bufferRows: 300, chunkRows: 40 };
  const source = new ActivationStreamSource(dataset, options);
  const bound = 300 * (4 * D + 4);
  assert.ok(source.boundBytes <= bound, `bound ${source.boundBytes} <= ${bound}`);
  assert.match(
    source.description,
    /40-row chunks, 120-row windows, seed 3; buffer ≤ 8\.4 KiB \(2 windows × 120 rows × 36 B\)/,
  );

  const batch = 64;
  const perEpoch = rows / batch; // 31.25: batches straddle epochs
  const steps = Math.ceil(3 * perEpoch);
  const batches: Float32Array[] = [];
  for (let i = 0; i < steps; i++) {
    batches.push(await source.trainBatch(i, batch));
    assert.ok(source.heldBytes() <= source.boundBytes, `step ${i}: ${source.heldBytes()} held`);
  }
  assert.ok(
    source.maxHeldBytes() <= source.boundBytes,
    `max ${source.maxHeldBytes()} > ${source.boundBytes}`,
  );
  assert.ok(
    source.maxHeldBytes() > source.boundBytes / 2,
    "the prefetched window is held beside the current one",
  );

  // Every row exactly once per epoch: stream positions [e·rows, (e+1)·rows).
  const stream = batches.flatMap(rowIds);
  for (let e = 0; e < 2; e++) {
    const epoch = stream.slice(e * rows, (e + 1) * rows);
    assert.deepEqual(
      [...epoch].sort((a, b) => a - b),
      Array.from({ length: rows }, (_, r) => r % 1000).sort((a, b) => a - b),
      `epoch ${e}`,
    );
  }
  // Epochs reshuffle; the order is far from sequential.
  assert.notDeepEqual(stream.slice(0, 200), stream.slice(rows, rows + 200));
  assert.notDeepEqual(
    stream.slice(0, 200),
    Array.from({ length: 200 }, (_, r) => r),
  );

  // A batch is a function of its index: a fresh source (as after resume) at index i agrees, in any order.
  const fresh = new ActivationStreamSource(dataset, options);
  for (const i of [40, 3, 31, 62, 0, 93])
    assert.deepEqual(await fresh.trainBatch(i, batch), batches[i], `batch ${i}`);
  assert.ok(fresh.maxHeldBytes() <= fresh.boundBytes);
  // Concurrent calls are served one at a time, still in agreement.
  const together = await Promise.all([fresh.trainBatch(10, batch), fresh.trainBatch(11, batch)]);
  assert.deepEqual(together, [batches[10], batches[11]]);
  // A batch larger than a window is assembled window by window, within the bound.
  const big = await fresh.trainBatch(1, 500);
  assert.deepEqual(rowIds(big), stream.slice(500, 1000));
  assert.ok(fresh.maxHeldBytes() <= fresh.boundBytes);
});

test("a dataset smaller than the buffer is one window, read once and reshuffled per epoch", async () => {
  const path = join(dir(), "small.npy");
  const x = new Float32Array(50 * D);
  for (let r = 0; r < 50; r++) x.fill(r, r * D, (r + 1) * D);
  await writeNpy(path, x, [50, D]);
  const source = new ActivationStreamSource(await ActivationDataset.open(path), { seed: 1, bufferMiB: 1 });
  assert.equal(source.plan.windowsPerEpoch, 1);
  const e0 = rowIds(await source.trainBatch(0, 50));
  const e1 = rowIds(await source.trainBatch(1, 50));
  assert.deepEqual(
    [...e0].sort((a, b) => a - b),
    [...e1].sort((a, b) => a - b),
  );
  assert.notDeepEqual(e0, e1);
  assert.equal(source.maxHeldBytes(), 50 * D * 4 + 2 * 50 * 4, "the rows are shared; only the orders differ");
});

test("non-finite rows stop training with the file and row, or are skipped", async () => {
  const path = join(dir(), "bad.npy");
  const x = new Float32Array(40 * D).fill(1);
  x[17 * D + 3] = Number.NaN;
  await writeNpy(path, x, [40, D]);
  const strict = new ActivationStreamSource(await ActivationDataset.open(path), { seed: 0, bufferRows: 40 });
  await assert.rejects(
    strict.trainBatch(0, 40),
    new RegExp(`${path}: row 17 \\(dataset row 17\\) has NaN at column 3`),
  );
  const skip = new ActivationStreamSource(await ActivationDataset.open(path, { nonFinite: "skip" }), {
    seed: 0,
    bufferRows: 40,
  });
  const b = await skip.trainBatch(0, 40);
  assert.ok(b.every(Number.isFinite));
  assert.throws(
    () => new ActivationStreamSource(strict.dataset, { seed: 0, bufferRows: 1 }),
    /buffer of 1 rows is too small/,
  );
});
