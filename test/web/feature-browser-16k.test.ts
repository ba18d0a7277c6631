import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { FeatureCache } from "../../src/features/feature-cache-file.js";
import type { LatentTable } from "../../src/features/latent-record.js";
import { type FeatureServer, startFeatureServer } from "../../src/web/server.js";
import { launchChromium, type PageProblems, skipWithoutBrowser as skip, watchPage } from "./chromium-page.js";
import { handmadeVocab, hostileTokens, openHandmade, writeHandmadeCache } from "./handmade-feature-cache.js";
import { httpRequest } from "./http-client.js";

/**
 * The page at full dictionary size: a hand-written cache of 16,384 latents
 * (contexts full of markup-like token strings) served in-process, driven in
 * headless Chromium. The list must stay virtual and quick; untrusted strings
 * must stay text.
 */
const M = 16_384;
const ROW_HEIGHT = 24;
let folder = "";
let server: FeatureServer | null = null;
let browser: Browser | null = null;
let page: Page;
let problems: PageProblems;
let table: LatentTable;

before(async () => {
  if (skip) return;
  folder = await mkdtemp(join(tmpdir(), "cosae-browser-16k-"));
  const made = await writeHandmadeCache(folder, "big", { m: M, d: 16, seed: 3, lean: true });
  const cache = await FeatureCache.open(made.path);
  table = cache.header.table;
  await cache.close();
  server = await startFeatureServer({ saes: [await openHandmade(made)], port: 0 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  problems = watchPage(page, new URL(server.url).origin);
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

test("the 16k-latent table is sent gzipped at a fraction of its size", { skip }, async () => {
  const plain = await httpRequest(server!.port, { path: "/api/saes/0/latents" });
  const zipped = await httpRequest(server!.port, {
    path: "/api/saes/0/latents",
    headers: { "Accept-Encoding": "gzip" },
  });
  assert.equal(zipped.headers["content-encoding"], "gzip");
  assert.ok(plain.body.length > 1_000_000, `${plain.body.length} bytes`);
  assert.ok(
    zipped.body.length < plain.body.length / 2,
    `${zipped.body.length} of ${plain.body.length} bytes`,
  );
});

/** Runs `action` in the page and returns how long it took there, in ms (sort, filter and draw are synchronous). */
function timeInPage(selector: string, action: "click" | { fill: string }): Promise<number> {
  return page.locator(selector).evaluate((el, what) => {
    const t0 = performance.now();
    if (what === "click") el.click();
    else {
      el.value = what.fill;
      el.dispatchEvent(new Event("input"));
    }
    return performance.now() - t0;
  }, action);
}

test("the list holds 16,384 rows of scroll height but draws only those in view, and sorts and filters it (times printed, see npm run bench:browser)", {
  skip,
}, async () => {
  await page.goto(server!.url);
  await page.locator(".list-spacer .list-row").first().waitFor();
  const list = await page.locator(".list-spacer").evaluate((spacer) => ({
    height: spacer.offsetHeight,
    rows: spacer.querySelectorAll(".list-row").length,
  }));
  assert.equal(list.height, M * ROW_HEIGHT);
  assert.ok(list.rows > 10 && list.rows < 300, `${list.rows} rows drawn`);

  const sortMs = await timeInPage('.list-head button[title="sort by magnitude dependence α"]', "click");
  const alpha = table.alpha;
  const order = Array.from({ length: M }, (_, j) => j).sort((x, y) => alpha[y]! - alpha[x]! || x - y);
  const drawn: [number, number][] = await page
    .locator(".list-spacer .list-row")
    .evaluateAll((rows) =>
      rows.map((r) => [Number(r.getAttribute("aria-rowindex")), Number(r.getAttribute("data-latent"))]),
    );
  drawn.sort((x, y) => x[0] - y[0]);
  assert.deepEqual(
    drawn.slice(0, 20).map((r) => r[1]),
    order.slice(0, 20),
  );

  const searchMs = await timeInPage("input.search", { fill: "concept-3" });
  const expected = table.bestConcept.filter((c) => c?.includes("concept-3")).length;
  assert.equal(await page.locator(".list-count").textContent(), `${expected} of ${M}`);
  assert.ok(expected > 1000);
  const clearMs = await timeInPage("input.search", { fill: "" });

  // the middle of the list, drawn on scroll
  await page.locator(".list-body").evaluate((body) => {
    body.scrollTop = 8000 * 24;
  });
  await page.locator('.list-row[aria-rowindex="8010"]').waitFor();
  const rowsAfterScroll = await page.locator(".list-spacer .list-row").count();
  assert.ok(rowsAfterScroll < 300, `${rowsAfterScroll} rows`);
  process.stderr.write(
    `16k list: sort ${sortMs.toFixed(1)} ms, search ${searchMs.toFixed(1)} ms, clear ${clearMs.toFixed(1)} ms\n`,
  );
});

test("token strings that look like markup are shown as text and never run", { skip }, async () => {
  // the latent whose contexts use the most hostile tokens
  await page.goto(`${server!.url}#a=1`);
  await page.locator('.latent-view[data-latent="1"]').waitFor();
  const shown = await page.locator(".latent-view .contexts").first().textContent();
  // as displayed: spaces become "·"
  const hostile = hostileTokens.filter((t) => t.startsWith("<")).map((t) => t.replaceAll(" ", "·"));
  assert.ok(
    hostile.some((t) => shown!.includes(t)),
    `no hostile token in the first contexts: ${shown}`,
  );
  assert.equal(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned), undefined);
  assert.equal(await page.locator("script").count(), 1); // the page's own module script only
  assert.equal(await page.locator(".latent-view img").count(), 0);
  // promoted tokens carry one too
  assert.ok((await page.locator(".logits.promoted").textContent())!.includes("<script>"));
  assert.ok(handmadeVocab.length > hostileTokens.length);
});

test("the 16k page logged no errors (nor CSP violations) and requested nothing elsewhere", { skip }, () => {
  assert.deepEqual(problems.consoleErrors, []);
  assert.deepEqual(problems.pageErrors, []);
  assert.deepEqual(problems.outside, []);
  assert.deepEqual(problems.failed, []);
  assert.ok(
    !problems.requests.some((r) => new URL(r).pathname === "/x"),
    "an injected <img src=x> was requested",
  );
});
