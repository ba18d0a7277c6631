import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readAlphaSteps } from "../../src/training/alpha-steps.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const dir = useTemporaryFolder("cosae-alpha-steps-");

test("α steps come from metrics.jsonl: the mean, the quartiles where logged; lines without α are skipped", async () => {
  const run = dir();
  const lines = [
    { step: 10, alpha: 0.5, alphaQuartiles: [0.4, 0.45, 0.5, 0.55, 0.6] },
    { step: 20, alpha: 0.4 }, // one scalar α, or logged before the quartiles were
    "not json",
    { step: 30, alpha: null },
    { step: 40, alpha: 0.3, alphaQuartiles: [0.1, 0.2] }, // not five numbers: no quartiles
  ];
  writeFileSync(
    join(run, "metrics.jsonl"),
    `${lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n")}\n`,
  );
  assert.deepEqual(await readAlphaSteps(run), [
    { step: 10, mean: 0.5, quartiles: [0.4, 0.45, 0.5, 0.55, 0.6] },
    { step: 20, mean: 0.4, quartiles: null },
    { step: 40, mean: 0.3, quartiles: null },
  ]);
  writeFileSync(join(run, "metrics.jsonl"), `${JSON.stringify({ step: 10, alpha: null })}\n`);
  assert.equal(await readAlphaSteps(run), null, "a family without α");
  await assert.rejects(
    readAlphaSteps(join(run, "missing")),
    /reading the training metrics: .*missing.*metrics\.jsonl/,
  );
});
