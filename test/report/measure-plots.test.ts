import assert from "node:assert/strict";
import { test } from "node:test";
import { renderCompareReport } from "../../src/report/compare-report.js";
import { familyStyles } from "../../src/report/palette.js";
import { alphaStepsPlot } from "../../src/report/plot-alpha-steps.js";
import { measureFvuPanels } from "../../src/report/plot-measure-fvu.js";
import { compareFixture } from "./compare-fixture.js";

const fixture = compareFixture();
const styles = familyStyles(fixture);
const [synthetic, stories] = fixture.sections;

/** The `d` of every path of `svg` with this class, by its data-family. */
function pathsOf(svg: string, cls: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of svg.matchAll(/<path ([^>]*)>/g)) {
    const attrs = m[1]!;
    if (!attrs.includes(`class="${cls}"`)) continue;
    const family = /data-family="([^"]*)"/.exec(attrs)![1]!;
    assert.ok(!out.has(family), `one ${cls} path for ${family}`);
    out.set(family, /\bd="([^"]*)"/.exec(attrs)![1]!);
  }
  return out;
}

/** The x of each vertical target line (x1 = x2, spanning the plot's height). */
function targetLines(svg: string): number[] {
  return [
    ...svg.matchAll(/<g class="target-line"><line x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"/g),
  ].map((m) => {
    assert.equal(m[1], m[3], "a target line is vertical");
    assert.ok(Number(m[4]) > Number(m[2]));
    return Number(m[1]);
  });
}

test("measure against FVU: a panel per measure some run has, a line per family through its runs, the targets as vertical lines", () => {
  const { panels, legend } = measureFvuPanels(fixture.measures, synthetic!, styles);
  // no run of the synthetic section has the spliced loss or absorption: their panels are left out
  assert.deepEqual(
    panels.map((p) => p.measure.key),
    fixture.measures.map((m) => m.key).filter((k) => k !== "lossAdded" && k !== "absorptionRate"),
  );
  for (const p of panels) {
    const lines = pathsOf(p.svg, "family");
    const expected =
      p.measure.key === "alphaMedian"
        ? ["blend", "blend-feature"]
        : ["inner", "cosine-equivariant", "blend", "blend-feature"];
    assert.deepEqual([...lines.keys()].sort(), expected.sort(), p.measure.key);
    // through every run of the family (three k), in order of FVU: x rises along the path
    for (const d of lines.values()) {
      const xs = [...d.matchAll(/[ML]([\d.]+),/g)].map((m) => Number(m[1]));
      assert.equal(xs.length, 3);
      assert.deepEqual(
        xs,
        [...xs].sort((a, b) => a - b),
      );
    }
    // the three targets: inner at k = 16, 32, 64, so falling FVU, left of each other
    const xs = targetLines(p.svg);
    assert.equal(xs.length, 3);
    assert.ok(xs[0]! > xs[1]! && xs[1]! > xs[2]!, `targets by falling FVU: ${xs.join(", ")}`);
  }
  for (const f of ["inner", "cosine-equivariant", "blend", "blend-feature"])
    assert.ok(legend.includes(`>${f}</span>`));
  // the stories section has one target and its spliced loss
  const other = measureFvuPanels(fixture.measures, stories!, styles).panels;
  assert.ok(other.some((p) => p.measure.key === "lossAdded"));
  assert.ok(other.every((p) => targetLines(p.svg).length === 1));
});

test("a measure the report has never heard of gets its panel from the measure list", () => {
  const measures = [
    ...fixture.measures,
    { key: "top10Share", label: "top-10% slots", format: "percent" as const, help: "x" },
  ];
  const { panels } = measureFvuPanels(measures, synthetic!, styles);
  const panel = panels.find((p) => p.measure.key === "top10Share");
  assert.ok(panel, "a panel for a measure added to the list");
  assert.equal(pathsOf(panel.svg, "family").size, 4);
  assert.match(panel.svg, /aria-label="top-10% slots against FVU: synthetic default"/);
});

test("α against step: the α families at the base k, a quartile band for per-latent α only", () => {
  const plot = alphaStepsPlot(fixture, synthetic!, styles);
  assert.equal(plot.kind, "figure");
  if (plot.kind !== "figure") return;
  const lines = pathsOf(plot.svg, "alpha-line");
  assert.deepEqual([...lines.keys()], ["blend", "blend-feature"]);
  for (const d of lines.values()) assert.equal(d.split("L").length, 10, "one point per logged step");
  assert.deepEqual([...pathsOf(plot.svg, "alpha-band").keys()], ["blend-feature"]);
  assert.match(plot.svg, />blend-feature \(k=32\)<\/text>/);
  assert.match(plot.svg, /blend-feature, k=32, step 100: median α 0\.170/);
  const none = alphaStepsPlot(fixture, stories!, styles);
  assert.equal(none.kind, "note");
});

test("a compare-results.json written with one target and no α series still renders", () => {
  const old = compareFixture();
  for (const s of old.sections) {
    delete (s as Partial<typeof s>).targets;
    for (const r of s.runs) delete (r as Partial<typeof r>).alphaSteps;
  }
  const html = renderCompareReport(old);
  assert.equal([...html.matchAll(/<table class="data matched">/g)].length, 2);
  assert.ok(!html.includes(`<tr class="target-head">`));
  assert.ok(html.includes("No run in this section logged α during training"));
});
