import assert from "node:assert/strict";
import { test } from "node:test";
import type { CompareResults, CompareSection } from "../../src/compare/compare-results.js";
import { hookContrastTable } from "../../src/compare/compare-tables.js";
import { parseFamily } from "../../src/compare/families.js";
import { hookContrasts, parseBlockHook } from "../../src/compare/hook-contrast.js";

const measures = [
  { key: "alignedShare", label: "aligned", format: "percent" as const, help: "" },
  { key: "normDetectorShare", label: "norm det.", format: "percent" as const, help: "" },
  { key: "l0", label: "L0", format: "fixed2" as const, help: "" },
];

function section(
  hook: string | undefined,
  aligned: [number, number],
  detectors: [number, number | null],
): CompareSection {
  const row = (family: string, i: 0 | 1) => ({
    family,
    k: 8,
    nearestGap: 0,
    bracketed: true,
    measures: { alignedShare: aligned[i], normDetectorShare: detectors[i], l0: 8 },
  });
  const matched = [row("inner", 0), row("cosine", 1)];
  return {
    title: hook ?? "synthetic default",
    ...(hook === undefined ? {} : { hook }),
    data: "",
    targetFvu: 0.2,
    targetFrom: "given",
    runs: [],
    matched,
    targets: [{ targetFvu: 0.2, targetFrom: "given", matched }],
    notes: [],
  };
}

function results(sections: CompareSection[]): CompareResults {
  return {
    createdBy: "test",
    createdAt: "",
    settings: {},
    families: [parseFamily("inner"), parseFamily("cosine")],
    measures,
    sections,
    seconds: 0,
  };
}

test("hook names parse to depth and kind; anything else is not a block hook", () => {
  assert.deepEqual(parseBlockHook("blocks.12.hook_mlp_out"), { depth: 12, kind: "hook_mlp_out" });
  assert.equal(parseBlockHook("hook_embed"), null);
  assert.equal(parseBlockHook(undefined), null);
});

test("the contrast lays out family − reference by depth and hook kind, leaving out measures nobody has", () => {
  const r = results([
    section("blocks.1.hook_resid_pre", [0.2, 0.5], [0.3, 0.1]),
    section("blocks.3.hook_resid_pre", [0.1, 0.4], [0.2, null]),
    section("blocks.1.hook_attn_out", [0.3, 0.35], [0.05, 0.04]),
  ]);
  const [c, ...rest] = hookContrasts(r);
  assert.equal(rest.length, 0, "one contrast: cosine against inner");
  assert.equal(c!.family, "cosine");
  assert.deepEqual(
    c!.cells.map((x) => [x.depth, x.kind]),
    [
      [1, "hook_resid_pre"],
      [1, "hook_attn_out"],
      [3, "hook_resid_pre"],
    ],
  );
  const aligned = c!.cells.map((x) => x.values.alignedShare!.delta);
  assert.ok(Math.abs(aligned[0]! - 0.3) < 1e-12 && Math.abs(aligned[1]! - 0.05) < 1e-12);
  assert.equal(c!.cells[2]!.values.normDetectorShare!.delta, null, "a missing value gives no difference");
  assert.deepEqual(
    c!.measures.map((m) => m.key),
    ["alignedShare", "normDetectorShare"],
    "L0 is matched by construction and not contrasted",
  );
  const text = hookContrastTable(c!);
  assert.match(text, /1 +hook_resid_pre +\+30\.0 pp +−20\.0 pp/);
  assert.match(text, /3 +hook_resid_pre +\+30\.0 pp +—/);
});

test("no contrast for a residual-only comparison, synthetic data, or without the reference family", () => {
  assert.deepEqual(
    hookContrasts(
      results([
        section("blocks.1.hook_resid_pre", [0, 1], [0, 0]),
        section("blocks.3.hook_resid_pre", [0, 1], [0, 0]),
      ]),
    ),
    [],
  );
  assert.deepEqual(hookContrasts(results([section(undefined, [0, 1], [0, 0])])), []);
  const both = results([
    section("blocks.1.hook_resid_pre", [0, 1], [0, 0]),
    section("blocks.1.hook_mlp_out", [0, 1], [0, 0]),
  ]);
  assert.equal(hookContrasts(both).length, 1);
  assert.deepEqual(hookContrasts(both, "blend"), []);
});
