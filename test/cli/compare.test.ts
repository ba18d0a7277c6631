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
  // a grid given whole: the targets are inner's FVU at those of k/2, k, 2k in it, each with its table
  const inner4 = section!.runs.find((x) => x.family === "inner" && x.k === 4)!;
  assert.deepEqual(
    section!.targets.map((t) => [t.targetFvu, t.targetFrom]),
    [
      [inner4.report.fvu, "FVU of inner at k = 4"],
      [inner8.report.fvu, "FVU of inner at k = 8"],
    ],
  );
  assert.deepEqual(section!.targets[1]!.matched, section!.matched);
  for (const t of section!.targets) assert.equal(t.matched.length, 3);
  assert.match(r.stdout, /synthetic default — matched at FVU 0\.\d{4} \(FVU of inner at k = 4\)/);
  // α over training, read from each run's metrics.jsonl (logged every 10 steps): quartiles for per-latent α
  for (const run of section!.runs) {
    if (run.family !== "blend-feature-equivariant") {
      assert.equal(run.alphaSteps, null);
      continue;
    }
    assert.deepEqual(
      run.alphaSteps!.map((a) => a.step),
      [10, 20, 30, 40],
    );
    const logged = readFileSync(join(out, "synthetic", run.runDir, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      run.alphaSteps!.map((a) => [a.mean, a.quartiles]),
      logged.map((m) => [m.alpha, m.alphaQuartiles]),
    );
    const last = run.alphaSteps!.at(-1)!.quartiles!;
    assert.ok(
      last.every((v, i) => v >= 0 && v <= 1 && (i === 0 || v >= last[i - 1]!)),
      `ordered: ${last}`,
    );
    assert.equal(run.alphaSteps!.at(-1)!.quartiles![2], run.report.alpha!.median);
  }
  for (const run of section!.runs) {
    assert.ok(run.report.decoderMatch!.mmcs > 0, "synthetic runs report MMCS");
    assert.equal(run.report.splicedLoss, null);
    // probing on the true features; no token text, so no absorption
    assert.equal(run.report.probing!.groups[0]!.group, "true feature");
    assert.ok(run.report.probing!.accuracy.every((a) => a >= 0 && a <= 1));
    assert.equal(run.report.absorption, null);
  }
  assert.match(
    section!.data,
    /\d+ probing tasks \(true feature \d+\), raw-activation ceiling accuracy 0\.\d{3}/,
  );
  assert.match(r.stdout, /feature absorption: not measured \(the held-out tokens have no text/);
  const html = readFileSync(join(out, "report.html"), "utf8");
  assert.match(html, /^<!DOCTYPE html>/i);
  assert.ok(!/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(html), "the report fetches nothing");

  const again = cosae(...args, ...small);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((again.stderr.match(/\(reused\)/g) ?? []).length, 6);
  const reread = readResults(out).sections[0]!;
  assert.deepEqual(reread.targets, section!.targets, "reused runs give the same matched tables");
  assert.deepEqual(
    reread.runs.map((x) => x.alphaSteps),
    section!.runs.map((x) => x.alphaSteps),
    "and the same α series, read from their folders",
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
  // three targets by default: inner's FVU at k/2, k and 2k, the one at k the main one
  assert.deepEqual(
    section!.targets.map((t) => t.targetFrom),
    [4, 8, 16].map((k) => `FVU of inner at k = ${k}`),
  );
  assert.equal(section!.targetFvu, section!.targets[1]!.targetFvu);
  for (const t of section!.targets) {
    assert.match(r.stdout, new RegExp(`matched at FVU ${t.targetFvu.toFixed(4)} \\(${t.targetFrom}\\)`));
    for (const row of t.matched) {
      const own = section!.runs.filter((x) => x.family === row.family);
      const ks = own.map((x) => x.k);
      assert.ok(ks.includes(4) && ks.includes(8) && ks.includes(16), `${row.family}: the grid K/2, K, 2K`);
      const fvus = own.map((x) => x.report.fvu);
      assert.equal(row.bracketed, Math.min(...fvus) <= t.targetFvu && t.targetFvu <= Math.max(...fvus));
      // bracketed, or the grid ran into k = 1, k = m or the three extra runs, and says so
      if (!row.bracketed) {
        assert.ok(ks.includes(1) || ks.includes(128) || ks.length === 6, `${row.family}: k ${ks.join(",")}`);
        assert.ok(section!.notes.some((n) => n.startsWith(`${row.family} does not bracket the target FVU`)));
      }
    }
  }
  // each family was extended until its runs span every target (or the cap)
  for (const family of ["inner", "cosine"]) {
    const own = section!.runs.filter((x) => x.family === family);
    const fvus = own.map((x) => x.report.fvu);
    const spans =
      Math.min(...fvus) <= Math.min(...section!.targets.map((t) => t.targetFvu)) &&
      Math.max(...fvus) >= Math.max(...section!.targets.map((t) => t.targetFvu));
    assert.ok(spans || own.length === 6 || own.some((x) => x.k === 1 || x.k === 128), family);
  }
});

test("--targetFvu takes a list; a target a family's runs do not bracket is named", () => {
  const out = join(dir(), "targets");
  const r = cosae(
    "compare",
    "--out",
    out,
    "--families",
    "inner,cosine",
    "--ks",
    "4",
    "--targetFvu",
    "0.001,0.99",
    "--m",
    "64",
    "--steps",
    "20",
    "--evalTokens",
    "1024",
  );
  assert.equal(r.code, 0, r.stderr);
  const [section] = readResults(out).sections;
  assert.equal(section!.runs.length, 2);
  assert.deepEqual(
    section!.targets.map((t) => [t.targetFvu, t.targetFrom]),
    [
      [0.99, "given (--targetFvu)"],
      [0.001, "given (--targetFvu)"],
    ],
  );
  assert.equal(section!.targetFvu, 0.001, "the middle of the given targets is the main one");
  for (const t of section!.targets) for (const row of t.matched) assert.equal(row.bracketed, false);
  for (const family of ["inner", "cosine"])
    assert.match(r.stdout, new RegExp(`^${family} does not bracket the target FVU 0\\.0010 \\(given`, "m"));
  assert.equal(section!.notes.filter((n) => n.includes("does not bracket")).length, 4);
  assert.match(r.stdout, /matched at FVU 0\.9900 \(given \(--targetFvu\)\)/);
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
      assert.ok(run.report.probing!.tasks > 10, `${run.report.probing!.tasks} probing tasks`);
      assert.ok(run.report.absorption!.letters.length > 5, "first letters of real text");
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
  assert.deepEqual(evaluated.probing, compared.probing);
  assert.deepEqual(evaluated.absorption, compared.absorption);
  assert.match(e.stdout, /k-sparse probing over \d+ tasks, accuracy k=1 0\.\d{3}, k=2 /);
  assert.match(e.stdout, /first-letter absorption \d+\.\d%, false negatives \d+\.\d%/);

  // evaluating on more rows than training held out is flagged
  const wide = cosae("eval", sae, "--data", data, "--evalTokens", "8000");
  assert.equal(wide.code, 0, wide.stderr);
  assert.match(wide.stderr, /trained with holdOut 4000 on this dataset/);

  // a second, named comparison in the same folder: the residual runs are reused, the sublayer output harvested
  const before = readFileSync(join(out, "compare-results.json"), "utf8");
  const sub = cosae(
    "compare",
    ...["--model", stories260kBin, "--text", corpusPath, "--maxTokens", "40000", "--evalTokens", "4000"],
    ...["--hook", "blocks.1.hook_resid_pre,blocks.1.hook_attn_out", "--families", "inner,cosine"],
    ...["--ks", "4,8", "--m", "128", "--steps", "30", "--name", "sublayers", "--out", out],
  );
  assert.equal(sub.code, 0, sub.stderr);
  assert.match(sub.stderr, /blocks\.1\.hook_resid_pre inner-k4: .*\(reused\)/);
  assert.match(sub.stderr, /harvested blocks\.1\.hook_attn_out:/);
  assert.doesNotMatch(sub.stderr, /harvested .*hook_resid_pre/);
  assert.equal(readFileSync(join(out, "compare-results.json"), "utf8"), before, "the first results are kept");
  const named = JSON.parse(readFileSync(join(out, "sublayers-results.json"), "utf8")) as CompareResults;
  assert.deepEqual(
    named.sections.map((s) => s.hook),
    ["blocks.1.hook_resid_pre", "blocks.1.hook_attn_out"],
  );
  assert.match(sub.stdout, /cosine − inner at matched FVU, by depth and hook/);
  assert.match(sub.stdout, /1 +hook_attn_out +[+−]?\d/);
  assert.match(
    readFileSync(join(out, "sublayers-report.html"), "utf8"),
    /Residual stream against sublayer outputs/,
  );
});

test("bad compare and eval input is refused before any work", () => {
  const out = join(dir(), "bad");
  for (const [args, message] of [
    [["--families", "inner,cosin"], /unknown family "cosin"/],
    [["--ks", "4,x"], /--ks: expected positive integers/],
    [["--ks", "4,16"], /must include --k 8/],
    [["--targetFvu", "2"], /--targetFvu: expected numbers in \(0, 1\) separated by commas, got "2"/],
    [["--targetFvu", "0.2,x"], /--targetFvu: expected numbers in \(0, 1\)/],
    [["--concepts", "pos,colour"], /unknown concept group "colour"/],
    [["--text", corpusPath], /harvesting needs --model, --text and --hook together/],
    [["--data", "x", "--hook", "blocks.1.hook_resid_pre"], /not both/],
    [["--model", stories260kBin], /--model needs --text and --hook \(to harvest\) or --data/],
    [["--evalTokens", "0"], /--evalTokens: expected an integer ≥ 1, got "0"/],
    [["--name", "../x"], /--name: expected lowercase letters, digits and "-"/],
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
