import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Browser, Locator, Page } from "playwright-core";
import type { LatentTable, LatentTableResponse } from "../../src/features/latent-record.js";
import { cosae } from "../helpers/cosae-cli.js";
import { corpusPath, stories260kBin } from "../helpers/stories260k.js";
import { launchChromium, type PageProblems, skipWithoutBrowser as skip, watchPage } from "./chromium-page.js";
import { type ServeProcess, spawnServe } from "./serve-process.js";

/**
 * The whole path a user takes: harvest real activations from stories260K,
 * train an inner-product and a cosine SAE with the CLI, run `cosae serve` on
 * both (which builds their feature caches), and drive the page in headless
 * Chromium.
 */
// Made in before() itself: a root-level before() may run ahead of useTemporaryFolder's.
let folder = "";
const dir = () => folder;
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const artifacts = join(repoRoot, "test-artifacts");
const M = 128;
const ROW_HEIGHT = 24;

let serve: ServeProcess | null = null;
let browser: Browser | null = null;
let page: Page;
let problems: PageProblems;
let tables: LatentTable[];
let saeFolders: string[];
const timings: Record<string, number> = {};

before(async () => {
  if (skip) return;
  folder = await mkdtemp(join(tmpdir(), "cosae-feature-browser-"));
  const t0 = Date.now();
  const data = join(dir(), "activations");
  const harvest = cosae(
    "harvest",
    ...["--model", stories260kBin, "--text", corpusPath, "--hook", "blocks.3.hook_resid_pre"],
    ...["--contextLength", "64", "--maxTokens", "8000", "--out", data],
  );
  assert.equal(harvest.code, 0, harvest.stderr);
  saeFolders = [];
  for (const score of ["inner", "cosine"]) {
    const out = join(dir(), score);
    const train = cosae(
      "train",
      ...["--data", data, "--score", score, "--m", String(M), "--k", "8"],
      ...["--batchSize", "256", "--steps", "300", "--out", out],
    );
    assert.equal(train.code, 0, train.stderr);
    saeFolders.push(join(out, "sae"));
  }
  timings.harvestAndTrain = Date.now() - t0;
  const t1 = Date.now();
  serve = await spawnServe([...saeFolders, "--data", data, "--port", "0"]);
  timings.serveStart = Date.now() - t1;
  tables = [];
  for (const sae of [0, 1]) {
    const response = await fetch(`${serve.url}api/saes/${sae}/latents`);
    tables.push(((await response.json()) as LatentTableResponse).table);
  }
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  problems = watchPage(page, new URL(serve.url).origin);
  await mkdir(artifacts, { recursive: true });
});

after(async () => {
  await browser?.close();
  await serve?.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
  process.stderr.write(`feature browser e2e timings (ms): ${JSON.stringify(timings)}\n`);
});

const pane = (key: "a" | "b"): Locator => page.locator(`[data-pane="${key}"]`);

/** The latent numbers of the rows drawn in a pane's list, top to bottom. */
async function drawnLatents(key: "a" | "b"): Promise<number[]> {
  // (evaluated in the page: the test's own types have no DOM, so the rows come back as plain pairs)
  const rows: [number, number][] = await pane(key)
    .locator(".list-spacer .list-row")
    .evaluateAll((els) =>
      els.map((el) => [Number(el.getAttribute("aria-rowindex")), Number(el.getAttribute("data-latent"))]),
    );
  return rows.sort((x, y) => x[0] - y[0]).map((r) => r[1]);
}

async function search(key: "a" | "b", text: string): Promise<number> {
  await pane(key).locator("input.search").fill(text);
  const count = await pane(key).locator(".list-count").textContent();
  return Number(/^(\d+) of/.exec(count ?? "")![1]);
}

function shownLatent(key: "a" | "b", latent: number): Promise<void> {
  return pane(key).locator(`.latent-view[data-latent="${latent}"]`).waitFor({ timeout: 10_000 });
}

test("cosae serve builds a feature cache in each SAE folder and prints a loopback URL by default", {
  skip,
}, () => {
  assert.match(serve!.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  for (const folder of saeFolders)
    assert.ok(
      readdirSync(folder).some((f) => f.startsWith("feature-cache.")),
      `${folder}: ${readdirSync(folder)}`,
    );
  assert.match(serve!.stderr(), /records/);
  assert.equal(tables[0]!.frequency.length, M);
});

test("the page shows both SAEs' summaries, and each list is virtual: m rows of height, few rows in the DOM", {
  skip,
}, async () => {
  const t0 = Date.now();
  await page.goto(serve!.url);
  await pane("a").locator(".list-spacer .list-row").first().waitFor();
  await pane("b").locator(".list-spacer .list-row").first().waitFor();
  timings.pageLoad = Date.now() - t0;
  const cards = await page.locator(".sae-card").allTextContents();
  assert.equal(cards.length, 2);
  assert.match(cards[0]!, /inner/);
  assert.match(cards[0]!, /FVU/);
  assert.match(cards[0]!, /L0/);
  assert.match(cards[1]!, /cosine/);
  assert.match(cards[1]!, /blocks\.3\.hook_resid_pre/);
  for (const key of ["a", "b"] as const) {
    const list = await pane(key)
      .locator(".list-spacer")
      .evaluate((spacer) => ({
        height: spacer.offsetHeight,
        rows: spacer.querySelectorAll(".list-row").length,
      }));
    assert.equal(list.height, M * ROW_HEIGHT, key);
    assert.ok(list.rows >= 5 && list.rows < M, `${key}: ${list.rows} rows drawn`);
    assert.equal(await pane(key).locator(".list-count").textContent(), `${M} of ${M}`);
  }
  // scrolled to the bottom, the last row is drawn
  await pane("a")
    .locator(".list-body")
    .evaluate((body) => {
      body.scrollTop = body.scrollHeight;
    });
  await pane("a")
    .locator(`.list-row[aria-rowindex="${M + 1}"]`)
    .waitFor();
});

test("clicking a column header sorts the list, and clicking it again reverses it", { skip }, async () => {
  await pane("a").getByRole("button", { name: "latent", exact: true }).click();
  assert.deepEqual((await drawnLatents("a")).slice(0, 5), [0, 1, 2, 3, 4]);
  assert.equal(
    await pane("a").locator(".c-latent[role=columnheader]").getAttribute("aria-sort"),
    "ascending",
  );
  await pane("a").getByRole("button", { name: "latent", exact: true }).click();
  assert.deepEqual((await drawnLatents("a")).slice(0, 5), [127, 126, 125, 124, 123]);
  await pane("a").getByRole("button", { name: "F1", exact: true }).click();
  const f1 = tables[0]!.bestF1;
  const byF1 = Array.from({ length: M }, (_, j) => j).sort((x, y) => f1[y]! - f1[x]! || x - y);
  assert.deepEqual((await drawnLatents("a")).slice(0, 10), byF1.slice(0, 10));
  await pane("a").getByRole("button", { name: "freq", exact: true }).click();
  const freq = tables[0]!.frequency;
  const byFrequency = Array.from({ length: M }, (_, j) => j).sort((x, y) => freq[y]! - freq[x]! || x - y);
  assert.deepEqual((await drawnLatents("a")).slice(0, 10), byFrequency.slice(0, 10));
});

test("the search box filters by latent number and by token text", { skip }, async () => {
  const table = tables[0]!;
  const matches = (query: string) =>
    new Set(
      Array.from({ length: M }, (_, j) => j).filter(
        (j) =>
          String(j) === query ||
          (table.bestConcept[j] ?? "").toLowerCase().includes(query) ||
          table.topTokens[j]!.toLowerCase().includes(query),
      ),
    );
  const count = await search("a", "42");
  assert.ok((await drawnLatents("a")).includes(42));
  assert.equal(count, matches("42").size);
  assert.deepEqual(new Set(await drawnLatents("a")), matches("42"));
  // a word of some latent's top tokens, shared by a few latents
  const words = table.topTokens
    .flatMap((t) => t.toLowerCase().split(" "))
    .filter((w) => /^[a-z]{3,}$/.test(w));
  const word = words.find((w) => matches(w).size >= 2 && matches(w).size <= 20) ?? words[0]!;
  const found = await search("a", word);
  assert.equal(found, matches(word).size, word);
  assert.deepEqual(new Set(await drawnLatents("a")), matches(word), word);
  assert.ok(found < M);
  assert.equal(await search("a", "no latent has this text"), 0);
  assert.equal(await search("a", ""), M);
});

let opened = 0;

test("opening a latent shows highlighted contexts, histogram and scatter SVGs, concepts and nearest latents", {
  skip,
}, async () => {
  // the most frequent latent of the inner SAE: sure to have contexts
  const freq = tables[0]!.frequency;
  opened = freq.indexOf(Math.max(...freq));
  await search("a", String(opened));
  const t0 = Date.now();
  await pane("a").locator(`.list-row[data-latent="${opened}"]`).click();
  await shownLatent("a", opened);
  timings.openLatent = Date.now() - t0;
  await search("a", "");
  assert.equal(new URL(page.url()).hash, `#a=${opened}`);
  const view = pane("a").locator(".latent-view");
  assert.match((await view.locator(".summary").textContent())!, /fires on .* of 8,\d{3} tokens/);
  assert.ok((await view.locator(".top-contexts .context").count()) >= 5);
  const focus = view.locator(".top-contexts .context").first().locator(".tok.focus");
  const background = await focus.evaluate(
    (el) => el.ownerDocument.defaultView!.getComputedStyle(el).backgroundColor,
  );
  assert.notEqual(background, "rgba(0, 0, 0, 0)");
  // the top context's focus token holds (about) the max activation: the strongest shade
  const alpha = Number(/^rgba\(234, 88, 12, ([\d.]+)\)$/.exec(background)?.[1]);
  assert.ok(alpha > 0.8, background);
  assert.match((await focus.getAttribute("title"))!, /activation \d/);
  assert.ok((await view.locator(".band").count()) >= 1);
  assert.ok((await view.locator(".histogram rect.bar").count()) > 3);
  assert.ok((await view.locator(".scatter circle.pt.firing").count()) > 10);
  assert.ok((await view.locator(".scatter circle.pt.silent").count()) > 10);
  assert.ok((await view.locator(".scatter .tick-label").count()) >= 4);
  assert.deepEqual(await view.locator(".scatter .axis-label").allTextContents(), ["‖x‖", "activation"]);
  assert.ok((await view.locator("table.concepts tbody tr").count()) >= 1);
  assert.equal(await view.locator(".neighbours.nearest button").count(), 10);
  assert.equal(await view.locator(".neighbours.nearest-other button").count(), 10);
  assert.ok((await view.locator(".logits.promoted li").count()) > 0);
  assert.equal(
    await pane("a").locator(`.list-row[data-latent="${opened}"]`).getAttribute("aria-selected"),
    "true",
  );
  await page.screenshot({ path: join(artifacts, "feature-browser.png") });
});

test("a nearest latent opens in its pane, and Back returns to the previous one", { skip }, async () => {
  const neighbour = pane("a").locator(".neighbours.nearest button").first();
  const latent = Number(await neighbour.getAttribute("data-latent"));
  await neighbour.click();
  await shownLatent("a", latent);
  assert.equal(new URL(page.url()).hash, `#a=${latent}`);
  await page.goBack();
  await shownLatent("a", opened);
});

let other = 0;

test("a nearest latent of the other SAE opens in the other pane, side by side", { skip }, async () => {
  const neighbour = pane("a").locator(".neighbours.nearest-other button").first();
  other = Number(await neighbour.getAttribute("data-latent"));
  assert.equal(await neighbour.getAttribute("data-sae"), "1");
  await neighbour.click();
  await shownLatent("b", other);
  await shownLatent("a", opened);
  assert.equal(new URL(page.url()).hash, `#a=${opened}&b=${other}`);
  assert.equal(
    await pane("b").locator(`.list-row[data-latent="${other}"]`).getAttribute("aria-selected"),
    "true",
  );
  assert.ok((await pane("b").locator(".top-contexts .context").count()) > 0);
  await page.screenshot({ path: join(artifacts, "feature-browser-side-by-side.png"), fullPage: true });
});

test("reloading the page, or opening a bookmarked hash, restores the views", { skip }, async () => {
  await page.reload();
  await shownLatent("a", opened);
  await shownLatent("b", other);
  assert.equal(
    await pane("b").locator(`.list-row[data-latent="${other}"]`).getAttribute("aria-selected"),
    "true",
  );
  await page.goto(`${serve!.url}#a=5&b=9`);
  await shownLatent("a", 5);
  await shownLatent("b", 9);
});

test("↓ and ↑ in a list move through its rows and open each latent", { skip }, async () => {
  const historyLength = () =>
    page.evaluate(() => (globalThis as unknown as { history: { length: number } }).history.length);
  const entries = await historyLength();
  await pane("b").locator(".list-body").focus();
  await page.keyboard.press("Home");
  // Home scrolls the list to its top, so the drawn rows start at the first
  const [first, second] = await drawnLatents("b");
  await shownLatent("b", first!);
  await page.keyboard.press("ArrowDown");
  await shownLatent("b", second!);
  await page.keyboard.press("ArrowUp");
  await shownLatent("b", first!);
  assert.equal(new URL(page.url()).hash, `#a=5&b=${first}`);
  // stepping replaces the history entry instead of adding one per row
  assert.equal(await historyLength(), entries);
});

test("the page logged no errors, threw nothing and requested nothing outside its origin", { skip }, () => {
  assert.deepEqual(problems.consoleErrors, []);
  assert.deepEqual(problems.pageErrors, []);
  assert.deepEqual(problems.outside, []);
  assert.deepEqual(problems.failed, []);
  assert.ok(problems.requests.some((r) => r.includes("/api/saes/1/latents/")));
});

test("the screenshots were written as real PNGs", { skip }, () => {
  for (const name of ["feature-browser.png", "feature-browser-side-by-side.png"]) {
    const path = join(artifacts, name);
    assert.ok(existsSync(path), path);
    const png = readFileSync(path);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], name);
    assert.ok(
      png.readUInt32BE(16) >= 1000 && png.readUInt32BE(20) >= 600,
      `${name}: ${png.readUInt32BE(16)}×${png.readUInt32BE(20)}`,
    );
    assert.ok(png.length > 50_000, `${name}: ${png.length} bytes`);
  }
});

test("SIGTERM stops cosae serve cleanly", { skip }, async () => {
  const code = await serve!.stop();
  assert.equal(code, 0, serve!.stderr());
  assert.match(serve!.stderr(), /stopped/);
});
