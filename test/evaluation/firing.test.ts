import assert from "node:assert/strict";
import { test } from "node:test";
import { deadAndDense, fireCounts, meanL0 } from "../../src/evaluation/firing.js";
import { sparseRows } from "./sparse-rows.js";

// 4 tokens, m = 4. Token 2 stores latent 2 with value 0: not active.
// Fires: latent 0 on t0,t1,t2 = 3; latent 1 on t0 = 1; latents 2, 3 never.
// L0 per token 2, 1, 1, 0 → mean 1.
const codes = sparseRows([
  [
    [0, 1],
    [1, 0.5],
  ],
  [[0, 2]],
  [
    [0, 3],
    [2, 0],
  ],
  [],
]);

test("fire counts count only positive codes", () => {
  assert.deepEqual([...fireCounts(codes, 4)], [3, 1, 0, 0]);
  assert.throws(() => fireCounts(codes, 2), RangeError);
});

test("mean L0 ignores stored zeros", () => {
  assert.equal(meanL0(codes), 1);
});

test("dead and dense", () => {
  const counts = fireCounts(codes, 4);
  // Default 10% of 4 tokens = 0.4: latents 0 (3) and 1 (1) are dense, 2 and 3 dead.
  assert.deepEqual(deadAndDense(counts, 4), { dead: 2, dense: 2, deadShare: 0.5, denseShare: 0.5 });
  // 25% of 4 = 1: dense is strictly more than 1 fire, so only latent 0.
  assert.deepEqual(deadAndDense(counts, 4, 0.25), { dead: 2, dense: 1, deadShare: 0.5, denseShare: 0.25 });
});
