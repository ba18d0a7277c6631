import assert from "node:assert/strict";
import { join } from "node:path";
import test from "node:test";
import { ActivationDataset } from "../../src/data/activation-dataset.js";
import { ActivationStreamSource } from "../../src/data/activation-source.js";
import { heldOutStart } from "../../src/data/held-out.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";
import { writeExampleDataset } from "./activation-fixtures.js";

const dir = useTemporaryFolder("cosae-held-out-");

test("the held-out tail starts at a sequence start, and training never reads it", async () => {
  const folder = join(dir(), "acts");
  const rows = 900;
  const d = 4;
  await writeExampleDataset(folder, rows, { d, dtype: "f32", fileFormat: "safetensors", shardRows: 128 });
  const dataset = await ActivationDataset.open(folder);
  assert.equal(await heldOutStart(dataset, 0), rows);
  for (const count of [1, 50, 333, 700]) {
    const start = await heldOutStart(dataset, count);
    const t = await dataset.readTokens(start - 1, 2);
    assert.notEqual(t.sequence[0], t.sequence[1], `count ${count}: start ${start} splits a sequence`);
    assert.equal(t.position[1], 0);
    assert.ok(start <= rows - count && rows - count - start < 9, `count ${count}: start ${start}`);
  }
  await assert.rejects(heldOutStart(dataset, rows), /nothing would be left/);
  await assert.rejects(heldOutStart(dataset, -1), /whole number/);

  // Row r holds r + c/8, so column 0 names the row: one epoch of the training rows, and none beyond.
  const start = await heldOutStart(dataset, 200);
  const source = new ActivationStreamSource(dataset, {
    seed: 3,
    bufferRows: 256,
    chunkRows: 32,
    rows: start,
  });
  const seen = new Set<number>();
  const batch = 50;
  for (let i = 0; i * batch < start; i++) {
    const x = await source.trainBatch(i, batch);
    for (let r = 0; r < batch && i * batch + r < start; r++) seen.add(x[r * d]!);
  }
  assert.equal(seen.size, start);
  assert.ok(Math.max(...seen) === start - 1);
});
