import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { CompareResults } from "../../src/compare/compare-results.js";
import { cosae } from "../helpers/cosae-cli.js";
import { corpusPath, stories260kBin } from "../helpers/stories260k.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const dir = useTemporaryFolder("cosae-compare-");

function readResults(out: string): CompareResults {
  return JSON.parse(readFileSync(join(out, "compare-results.json"), "utf8")) as CompareResults;
}

test("compare on the synthetic default: a matched table, the JSON, the report; a second call reuses the runs", () => {
  const out = join(dir(), "synthetic");
  const args = ["compare", "--out", out, "--families", "inner,cosine,blend-feature-equivariant"];
  const small = ["--ks", "4,8", "--m", "256", "--steps", "40", "--evalTokens", "2048"];
  const r = cosae(...args, ...small);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /synthetic default — matched at FVU 0\.\d{4} \(FVU of inner at k = 8\)/);
  for (const family of ["inner", "cosine", "blend-feature-equivariant"]) {
    assert.match(r.stdout, new RegExp(`^${family}\\s+\\d+\\.\\d( †)?\\s+[+-]\\d\\.\\d{4}\\s`, "m"));
  }
  const results = readResults(out);
  assert.equal(results.sections.length, 1);
  const [section] = results.sections;
  assert.equal(section!.runs.length, 6);
  // inner at k = 8 is the target, so its matched row is that run exactly
  const inner8 = section!.runs.find((x) => x.family === "inner" && x.k === 8)!;
  assert.equal(section!.targetFvu, inner8.report.fvu);
  const innerRow = section!.matched.find((m) => m.family === "inner")!;
  assert.equal(innerRow.nearestGap, 0);
  assert.equal(innerRow.measures.l0, inner8.report.l0);
  for (const run of section!.runs) {
    assert.ok(run.report.decoderMatch!.mmcs > 0, "synthetic runs report MMCS");
    assert.equal(run.report.splicedLoss, null);
  }
  const html = readFileSync(join(out, "report.html"), "utf8");
  assert.match(html, /^<!DOCTYPE html>/i);
  assert.ok(!/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(html), "the report fetches nothing");

  const again = cosae(...args, ...small);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((again.stderr.match(/\(reused\)/g) ?? []).length, 6);
  assert.deepEqual(
    readResults(out).sections[0]!.matched,
    section!.matched,
    "reused runs give the same matched table",
  );
});

test("without --ks, a family's k grid grows until its runs bracket the target FVU", () => {
  const out = join(dir(), "bracket");
  const r = cosae(
    "compare",
    "--out",
    out,
    "--families",
    "inner,cosine",
    "--k",
    "8",
    "--m",
    "128",
    "--steps",
    "40",
    "--evalTokens",
    "2048",
  );
  assert.equal(r.code, 0, r.stderr);
  const [section] = readResults(out).sections;
  for (const row of section!.matched) {
    const ks = section!.runs.filter((x) => x.family === row.family).map((x) => x.k);
    assert.ok(ks.includes(4) && ks.includes(8) && ks.includes(16), `${row.family}: the grid K/2, K, 2K`);
    // bracketed, or the grid ran into k = 1, k = m or the three extra runs
    assert.ok(
      row.bracketed || ks.includes(1) || ks.includes(128) || ks.length === 6,
      `${row.family}: k ${ks.join(",")} and not bracketed`,
    );
  }
});

test("compare on a model's hooks: harvest, concepts, spliced loss; eval agrees on one SAE", () => {
  const out = join(dir(), "stories");
  const r = cosae(
    "compare",
    "--model",
    stories260kBin,
    "--text",
    corpusPath,
    "--hook",
    "blocks.1.hook_resid_pre,blocks.3.hook_resid_pre",
    "--maxTokens",
    "40000",
    "--evalTokens",
    "4000",
    "--families",
    "inner,cosine",
    "--ks",
    "4,8",
    "--m",
    "128",
    "--steps",
    "30",
    "--out",
    out,
  );
  assert.equal(r.code, 0, r.stderr);
  const results = readResults(out);
  assert.deepEqual(
    results.sections.map((s) => s.title),
    ["stories260K.bin blocks.1.hook_resid_pre", "stories260K.bin blocks.3.hook_resid_pre"],
  );
  for (const section of results.sections) {
    assert.equal(section.runs.length, 4);
    for (const run of section.runs) {
      const loss = run.report.splicedLoss!;
      assert.ok(loss.zeroAblated > loss.clean, `zero-ablation hurts: ${loss.zeroAblated} vs ${loss.clean}`);
      assert.ok(loss.spliced < loss.zeroAblated, "a trained SAE beats zero-ablation");
      assert.ok(run.report.alignment!.concepts > 20, `${run.report.alignment!.concepts} concepts`);
      assert.ok(run.report.alignment!.top.length > 0);
    }
    assert.ok(section.matched.every((m) => m.measures.lossAdded !== null));
  }
  assert.match(r.stdout, /loss added/);
  assert.ok(existsSync(join(out, "activations", "blocks.3.hook_resid_pre", "manifest.json")));

  // eval on one of those SAEs, same held-out rows: the same figures
  const data = join(out, "activations", "blocks.3.hook_resid_pre");
  const sae = join(out, "blocks.3.hook_resid_pre", "cosine-k8", "sae");
  const json = join(dir(), "eval.json");
  const e = cosae("eval", sae, "--data", data, "--evalTokens", "4000", "--json", json);
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout, /next-token loss clean \d+\.\d{4}, spliced \d+\.\d{4}, zero-ablated \d+\.\d{4}/);
  const evaluated = JSON.parse(readFileSync(json, "utf8")).results[0].report;
  const compared = results.sections[1]!.runs.find((x) => x.family === "cosine" && x.k === 8)!.report;
  assert.equal(evaluated.fvu, compared.fvu);
  assert.equal(evaluated.splicedLoss.spliced, compared.splicedLoss!.spliced);
  assert.equal(evaluated.alignment.alignedShare, compared.alignment!.alignedShare);

  // evaluating on more rows than training held out is flagged
  const wide = cosae("eval", sae, "--data", data, "--evalTokens", "8000");
  assert.equal(wide.code, 0, wide.stderr);
  assert.match(wide.stderr, /trained with holdOut 4000 on this dataset/);
});

test("bad compare and eval input is refused before any work", () => {
  const out = join(dir(), "bad");
  for (const [args, message] of [
    [["--families", "inner,cosin"], /unknown family "cosin"/],
    [["--ks", "4,x"], /--ks: expected positive integers/],
    [["--ks", "4,16"], /must include --k 8/],
    [["--targetFvu", "2"], /--targetFvu: expected a number in \(0, 1\)/],
    [["--concepts", "pos,colour"], /unknown concept group "colour"/],
    [["--text", corpusPath], /harvesting needs --model, --text and --hook together/],
    [["--data", "x", "--hook", "blocks.1.hook_resid_pre"], /not both/],
    [["--model", stories260kBin], /--model needs --text and --hook \(to harvest\) or --data/],
    [["--evalTokens", "0"], /--evalTokens: expected an integer ≥ 1, got "0"/],
    // m, steps, batchSize, lr, seed and alphaInit are train's options, checked by its table
    [["--m", "0"], /command line: option "m" must be ≥ 1, got 0/],
    [["--steps", "1.5"], /command line: option "steps" must be an integer, got 1\.5/],
    [["--lr", "x"], /command line: option "lr" must be a finite number, got "x"/],
    [["--seed", "4294967296"], /command line: option "seed" must be ≤ 4294967295/],
    [["--alphaInit", "1.5"], /command line: option "alphaInit" must be ≤ 1, got 1\.5/],
    [["--alphaInit=-0.25"], /command line: option "alphaInit" must be ≥ 0, got -0\.25/],
  ] as const) {
    const r = cosae("compare", "--out", out, ...args);
    assert.equal(r.code, 1, args.join(" "));
    assert.match(r.stderr, message);
  }
  assert.ok(!existsSync(out));
  assert.match(cosae("eval").stderr, /at least one SAE folder/);
  assert.match(cosae("eval", join(dir(), "missing")).stderr, /missing.*cfg\.json/);
});
