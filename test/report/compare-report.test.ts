import assert from "node:assert/strict";
import { test } from "node:test";
import { renderCompareReport } from "../../src/report/compare-report.js";
import { escapeHtml } from "../../src/report/html.js";
import { NOT_BRACKETED } from "../../src/report/matched-table.js";
import { compareFixture, fixtureFamilies } from "./compare-fixture.js";

const html = renderCompareReport(compareFixture());

const count = (text: string, needle: string) => text.split(needle).length - 1;

/** The HTML of each matched table, in document order. */
function matchedTables(doc: string): string[] {
  return [...doc.matchAll(/<table class="data matched">([\s\S]*?)<\/table>/g)].map((m) => m[1]!);
}

test("the report is one complete HTML document", () => {
  assert.ok(html.startsWith("<!DOCTYPE html>"));
  assert.match(html, /<html lang="en">/);
  assert.match(html, /<meta charset="utf-8">/);
  assert.match(html, /<title>[^<]+<\/title>/);
  assert.match(html, /<style>[\s\S]+<\/style>/);
  assert.ok(html.trimEnd().endsWith("</html>"));
  assert.equal(count(html, "<body>"), 1);
  assert.equal(count(html, "</body>"), 1);
});

test("the report fetches nothing", () => {
  assert.doesNotMatch(html, /https?:\/\//);
  assert.doesNotMatch(html, /<link/i);
  assert.doesNotMatch(html, /\ssrc=/i);
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /@import|url\(/i);
});

test("strings from the results are escaped", () => {
  assert.ok(!html.includes("<script>alert(1)</script>"));
  assert.ok(html.includes("stories260K &lt;script&gt;alert(1)&lt;/script&gt;"));
  assert.ok(html.includes("&lt;img&gt; &amp; co"));
  assert.ok(!html.includes("<img"));
  assert.ok(html.includes("a &amp; b"));
  assert.ok(html.includes("are not measured &lt;on text&gt;</li>"));
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
});

test("header: dates, author, settings and total time", () => {
  assert.ok(html.includes("2026-06-20T10:11:12.000Z"));
  assert.ok(html.includes("cosae 0.1.0"));
  assert.match(html, /<dt>batchSize<\/dt><dd>1024<\/dd>/);
  assert.match(html, /<dt>ks<\/dt><dd>16, 32, 64<\/dd>/);
  assert.ok(html.includes("12 min 34 s"));
});

test("every family appears, in a table and in the plots", () => {
  for (const f of fixtureFamilies) {
    assert.ok(html.includes(`<span class="family">${f}</span>`), f);
    assert.ok(html.includes(`>${f}</text>`) || html.includes(`>${f} (k=`), `${f} in a plot`);
  }
});

test("one svg per plot: seven in the section with α, six without; a panel per measure against FVU", () => {
  // per section: plots (α's two only where a family learns α; absorption only on text), then one panel
  // per measure some run has (the synthetic section: no spliced loss, no absorption)
  assert.equal(count(html, "<svg"), 7 + 12 + 6 + 11);
  assert.equal(count(html, "</svg>"), count(html, "<svg"));
  const [first, second] = html.split('id="section-2"');
  const figures = (part: string) => count(part.split('class="figures"')[1]!, "<svg");
  assert.equal(figures(first!), 7);
  assert.equal(figures(second!), 6);
  assert.equal(count(first!, `<figure class="measure-fvu">`), 12);
  assert.equal(count(second!, `<figure class="measure-fvu">`), 11);
  assert.ok(first!.includes("No feature absorption at matched FVU"));
  assert.ok(second!.includes("No family in this section learns α"));
  assert.ok(second!.includes("No run in this section logged α during training"));
});

test("task measures: probe accuracy against k under the raw ceiling, absorption bars, k=2 and 5 only in the plot", () => {
  const [first, second] = html.split('id="section-2"');
  for (const part of [first!, second!]) {
    assert.ok(part.includes("k-sparse probing at matched FVU"));
    assert.ok(part.includes(">raw activations (all d) 0.950</text>"), "the ceiling line is labelled");
    assert.ok(part.includes(">raw ceiling</text>"), "and in the legend");
    // a point per family and k: inner's k=2 probe, as the fixture computes it
    assert.ok(part.includes(`inner: k=2 probes, accuracy ${(0.95 - 0.35 / Math.sqrt(2)).toFixed(3)}`));
  }
  assert.ok(second!.includes("First-letter feature absorption at matched FVU"));
  assert.ok(second!.includes("inner: absorption 15.0%"));
  const [synthetic] = matchedTables(html);
  assert.ok(synthetic!.includes(">probe acc. k=1</th>") && synthetic!.includes(">probe acc. k=20</th>"));
  assert.ok(!synthetic!.includes(">probe acc. k=2</th>") && !synthetic!.includes(">probe acc. k=5</th>"));
});

/** The rows of each body of a matched table, without the target headings. */
function tableBodies(table: string): string[][] {
  return [...table.matchAll(/<tbody>([\s\S]*?)<\/tbody>/g)].map((m) =>
    m[1]!.split("</tr>").filter((r) => r.includes("<tr") && !r.includes(`class="target-head"`)),
  );
}

test("the matched table has a body per target, one row per family, and marks the clamped one", () => {
  const fixture = compareFixture();
  const tables = matchedTables(html);
  assert.equal(tables.length, 2);
  tables.forEach((t, i) => {
    const targets = fixture.sections[i]!.targets;
    const bodies = tableBodies(t);
    assert.equal(bodies.length, targets.length);
    // a heading row per target when there are several
    assert.equal(count(t, `<tr class="target-head">`), targets.length > 1 ? targets.length : 0);
    bodies.forEach((rows, b) => {
      assert.equal(rows.length, targets[b]!.matched.length);
      // The last row of each target is not bracketed in the fixture.
      rows.forEach((r, j) => {
        const clamped = j === rows.length - 1;
        assert.equal(r.includes(`class="extrapolated"`), clamped);
        assert.equal(r.includes(`>${NOT_BRACKETED}</sup>`), clamped);
      });
    });
  });
  assert.match(tables[0]!, /at FVU <b>0\.2500<\/b> — FVU of inner at k = 16/);
  assert.match(tables[0]!, /at FVU <b>0\.1250<\/b> — FVU of inner at k = 64/);
  assert.ok(html.includes("clamped to the nearest run"));
});

test("NaN and null show a dash; columns that are null throughout are left out", () => {
  const [synthetic, stories] = matchedTables(html);
  // top-1% slots is NaN for the second family
  const [first, second] = tableBodies(synthetic!)[0]!;
  assert.ok(second!.includes('<td class="num">—</td>'));
  // α is null for inner
  assert.ok(first!.includes('<td class="num">—</td>'));
  assert.ok(synthetic!.includes(">MMCS</th>"));
  assert.ok(!stories!.includes(">MMCS</th>"));
  assert.ok(stories!.includes(">loss added</th>"));
  assert.ok(!synthetic!.includes(">loss added</th>"));
});

test("help texts are column tooltips and a legend", () => {
  assert.ok(html.includes(`<th title="true features with cosine ≥ 0.9" scope="col">recovered</th>`));
  assert.ok(html.includes(`<dt>recovered</dt><dd>true features with cosine ≥ 0.9</dd>`));
});

test("the all-runs table lists every run, spliced loss only where measured", () => {
  const runs = [...html.matchAll(/<table class="data runs">([\s\S]*?)<\/table>/g)].map((m) => m[1]!);
  assert.equal(runs.length, 2);
  assert.equal(count(runs[0]!.split("<tbody>")[1]!, "<tr"), 12);
  assert.equal(count(runs[1]!.split("<tbody>")[1]!, "<tr"), 9);
  assert.ok(runs[0]!.includes(">MMCS</th>") && !runs[0]!.includes(">loss added</th>"));
  assert.ok(runs[1]!.includes(">loss added</th>") && !runs[1]!.includes(">MMCS</th>"));
  assert.equal(count(html, `<details class="concepts">`), 2);
});
