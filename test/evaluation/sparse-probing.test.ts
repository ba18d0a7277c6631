import assert from "node:assert/strict";
import test from "node:test";
import { evaluateSae } from "../../src/evaluation/evaluate.js";
import { defaultProbingOptions, type ProbingOptions, probeTasks } from "../../src/evaluation/probe-tasks.js";
import { probingCeiling, rankLatents, sparseProbing } from "../../src/evaluation/sparse-probing.js";
import { chooseKernels } from "../../src/kernels/choose-kernels.js";
import { Rng } from "../../src/util/rng.js";
import { identitySae } from "../helpers/identity-sae.js";
import { indicatorRows, sparseRows } from "./sparse-rows.js";

const options: ProbingOptions = { ...defaultProbingOptions, minPositives: 20, maxPerClass: 100 };

/**
 * 300 tokens, three concepts: "on" (every third token, 100 tokens), "rare" (exactly
 * 20 tokens: the minimum), "too rare" (19). Latent 5 fires exactly on "on" (the
 * planted latent); latents 0–4 fire at random; raw dimension 0 is "on"'s indicator.
 */
function plantedCase() {
  const rows = 300;
  const rng = new Rng(7);
  const concepts: number[][] = [];
  const codes: [number, number][][] = [];
  const d = 3;
  const x = new Float32Array(rows * d);
  for (let t = 0; t < rows; t++) {
    const on = t % 3 === 0;
    concepts.push([
      ...(on ? [0] : []),
      ...(t >= 100 && t < 120 ? [1] : []),
      ...(t >= 200 && t < 219 ? [2] : []),
    ]);
    const row: [number, number][] = [];
    for (let j = 0; j < 5; j++) if (rng.uniform() < 0.3) row.push([j, 0.5 + rng.uniform()]);
    if (on) row.push([5, 0.2 + rng.uniform()]);
    codes.push(row);
    x[t * d] = on ? 1 : 0;
    x[t * d + 1] = rng.normal();
    x[t * d + 2] = rng.normal();
  }
  const set = {
    x,
    rows,
    concepts: {
      labels: indicatorRows(concepts),
      count: 3,
      names: ["class:on", "word:rare", "word:too rare"],
    },
  };
  return { set, codes: sparseRows(codes), m: 6 };
}

test("a planted latent that is exactly a concept gives probe accuracy 1 at k = 1, ranked first", () => {
  const { set, codes, m } = plantedCase();
  const tasks = probeTasks(set, options);
  // "rare" has exactly minPositives tokens: a task; "too rare" (one fewer) is not
  assert.deepEqual(
    tasks.map((t) => [t.name, t.group, t.positives]),
    [
      ["class:on", "class", 100],
      ["word:rare", "word", 20],
    ],
  );
  const on = tasks[0]!;
  // balanced: 100 of each class at most, 80/20 per class
  assert.equal(on.tokens.length, 200);
  assert.equal(on.train, 160);
  assert.equal(
    on.labels.slice(0, 80).every((v) => v === 1) && on.labels.slice(80, 160).every((v) => v === 0),
    true,
  );
  const scratch = { onSum: new Float64Array(m), offSum: new Float64Array(m), seen: new Uint8Array(m) };
  assert.equal(rankLatents(codes, on, 3, scratch)[0], 5, "the planted latent separates the classes most");

  const report = sparseProbing(codes, m, set, options)!;
  assert.deepEqual(report.ks, [1, 2, 5, 20]);
  assert.equal(report.tasks, 2);
  const cls = report.groups.find((g) => g.group === "class")!;
  assert.equal(cls.tasks, 1);
  assert.deepEqual(cls.accuracy, [1, 1, 1, 1], "every probe that holds the planted latent is exact");
  assert.deepEqual(cls.f1, [1, 1, 1, 1]);
  // the raw ceiling: dimension 0 is the indicator
  assert.equal(cls.ceiling.accuracy, 1);
  // overall means are over tasks
  const word = report.groups.find((g) => g.group === "word")!;
  assert.equal(report.accuracy[0], (1 + word.accuracy[0]!) / 2);
});

test("probing tasks are chosen once per set, deterministically, capped per group and spread over frequencies", () => {
  const rows = 400;
  // 12 concepts of one group, on 30, 40, … 140 tokens
  const concepts: number[][] = Array.from({ length: rows }, () => []);
  for (let c = 0; c < 12; c++) for (let t = 0; t < 30 + 10 * c; t++) concepts[(t * 7 + c) % rows]!.push(c);
  for (const row of concepts) row.sort((a, b) => a - b);
  const set = { x: new Float32Array(rows), rows, concepts: { labels: indicatorRows(concepts), count: 12 } };
  const capped = { ...options, tasksPerGroup: 4 };
  const tasks = probeTasks(set, capped);
  assert.equal(probeTasks(set, capped), tasks, "cached on the set");
  // by frequency 11, 10 … 0; four evenly spaced: the most frequent, the least, and two between
  assert.deepEqual(
    tasks.map((t) => [t.concept, t.group, t.name]),
    [
      [11, "true feature", "feature 11"],
      [7, "true feature", "feature 7"],
      [4, "true feature", "feature 4"],
      [0, "true feature", "feature 0"],
    ],
  );
  // the same tokens from a fresh set; another seed draws others
  const again = probeTasks({ ...set }, capped);
  assert.deepEqual(again[0]!.tokens, tasks[0]!.tokens);
  const other = probeTasks({ ...set }, { ...capped, seed: 1 });
  assert.notDeepEqual(other[0]!.tokens, tasks[0]!.tokens);
  assert.throws(() => probeTasks(set, { ...capped, ks: [5, 2] }), /ks must be ascending/);
  assert.throws(() => probeTasks(set, { ...capped, minPositives: 4 }), /minPositives must be an integer ≥ 5/);
});

test("no concept bank, or no concept frequent enough: no probing", () => {
  const { set, codes, m } = plantedCase();
  assert.equal(sparseProbing(codes, m, { x: set.x, rows: set.rows }, options), null);
  assert.equal(sparseProbing(codes, m, set, { ...options, minPositives: 101, maxPerClass: 200 }), null);
  assert.deepEqual(probingCeiling({ x: set.x, rows: set.rows }, options), []);
});

test("evaluateSae reports probing: the identity SAE's +e₀ latent is the concept x₀ > 0", async () => {
  const rows = 200;
  const x = new Float32Array(rows * 2);
  const concepts: number[][] = [];
  const rng = new Rng(3);
  for (let t = 0; t < rows; t++) {
    x[2 * t] = t % 2 ? 0.5 + rng.uniform() : -0.5 - rng.uniform();
    x[2 * t + 1] = rng.normal();
    concepts.push(t % 2 ? [0] : []);
  }
  const kernels = await chooseKernels(1);
  try {
    const r = await evaluateSae(
      identitySae(2),
      { x, rows, concepts: { labels: indicatorRows(concepts), count: 1, names: ["x0 > 0"] } },
      kernels,
    );
    assert.equal(r.probing!.tasks, 1);
    assert.equal(r.probing!.accuracy[0], 1);
    assert.equal(r.probing!.ceiling.accuracy, 1);
    assert.deepEqual(
      r.probing!.groups.map((g) => g.group),
      ["concept"],
    );
    assert.equal(r.absorption, null, "no token text");
  } finally {
    await kernels.dispose();
  }
});
