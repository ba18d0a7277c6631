import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { compareFamilies } from "../../src/api/compare.js";
import {
  type AlphaStudyRun,
  type AlphaStudySection,
  alphaStudyDataset,
  alphaStudyMarkdown,
  alphaTrace,
  startKept,
} from "../../src/compare/alpha-study.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const dir = useTemporaryFolder("cosae-alpha-study-");

test("the study's tables from tiny runs: one row per run, its α₀, FVU and α trace", async () => {
  const out = dir();
  const sections: AlphaStudySection[] = [];
  for (const alphaInit of [null, 0, 1]) {
    const where = join(out, alphaInit === null ? "reference" : `alpha-${alphaInit}`);
    const section = await compareFamilies({
      out: where,
      families: alphaInit === null ? ["cosine"] : ["blend", "blend-feature-equivariant"],
      k: 4,
      ks: [4],
      targetFvu: 0.5,
      training: { m: 32, steps: 12, batchSize: 128, initTokens: 256, logEvery: 3, alphaInit: alphaInit ?? 0 },
      evalTokens: 256,
    });
    sections.push({ alphaInit, section, folder: join(where, "synthetic") });
  }
  const dataset = await alphaStudyDataset(sections);
  assert.equal(dataset.title, "synthetic default");
  assert.equal(dataset.runs.length, 5);
  const cosine = dataset.runs.find((r) => r.family === "cosine")!;
  assert.equal(cosine.alphaInit, null, "a family without α has no start");
  assert.deepEqual(cosine.trace, []);
  for (const run of dataset.runs.filter((r) => r.family !== "cosine")) {
    assert.ok(run.alphaInit === 0 || run.alphaInit === 1);
    // logged at steps 3, 6, 9, 12: the trace reads 3, 6, 9 (nearest 80%) and 12
    assert.equal(run.trace.length, 4);
    assert.ok(
      Math.abs(run.trace[3]! - run.alpha!.mean) < 1e-6,
      `${run.family}: the last logged α is the final mean`,
    );
  }
  const markdown = alphaStudyMarkdown([dataset], "tiny settings.");
  const row = (family: string, alphaInit: number) =>
    markdown.split("\n").find((line) => line.startsWith(`| ${family} | ${alphaInit} |`));
  for (const run of dataset.runs.filter((r) => r.alphaInit !== null)) {
    const line = row(run.family, run.alphaInit!);
    assert.ok(line, `a row for ${run.family} from α₀ = ${run.alphaInit}`);
    assert.ok(line.includes(` ${run.fvu.toFixed(4)} `), `${line} shows FVU ${run.fvu}`);
  }
  assert.match(markdown, /^\| cosine \| — \| 4 \| \d\.\d{4} \|/m);
  // the summary: each family with α, from both starts
  assert.match(markdown, /^\| blend \| 0 → \d\.\d\d, 1 → \d\.\d\d \| \d\.\d\d \|/m);
  assert.match(markdown, /^\| blend-feature-equivariant \| 0 → \d\.\d\d, 1 → \d\.\d\d \|/m);
});

test("alphaTrace reads the logged mean α nearest 25%, 50%, 80% and 100% of the steps", () => {
  const metrics = Array.from({ length: 100 }, (_, i) => ({ step: i + 1, alpha: (i + 1) / 100 }));
  assert.deepEqual(alphaTrace(metrics), [0.25, 0.5, 0.8, 1]);
  assert.deepEqual(alphaTrace([{ step: 10, alpha: null }]), []);
});

test("startKept: 0 when every start ends alike, 1 when α stays at its start", () => {
  const run = (alphaInit: number, median: number): AlphaStudyRun => ({
    family: "blend",
    alphaInit,
    k: 8,
    fvu: 0.1,
    deadShare: 0,
    alpha: {
      count: 1,
      min: median,
      q1: median,
      median,
      q3: median,
      max: median,
      mean: median,
      shareAbove: 0,
    },
    trace: [],
  });
  assert.equal(startKept([run(0, 0.6), run(0.5, 0.6), run(1, 0.6)]), 0);
  assert.equal(startKept([run(0, 0), run(1, 1)]), 1);
  assert.ok(Math.abs(startKept([run(0, 0.6), run(1, 0.8)])! - 0.2) < 1e-12);
  assert.equal(startKept([run(0.5, 0.6)]), null, "one start says nothing");
});
