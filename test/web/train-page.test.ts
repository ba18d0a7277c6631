import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { SyntheticDataset } from "../../src/data/synthetic.js";
import { loadSae } from "../../src/io/load-sae.js";
import { writeNpy } from "../../src/io/npy.js";
import { paramNames } from "../../src/model/sae.js";
import type { StepMetrics } from "../../src/training/trainer.js";
import { startFeatureServer } from "../../src/web/server.js";
import type { TrainingDataMeta } from "../../src/web/training-api.js";
import { cosae, cosaeWithEnv } from "../helpers/cosae-cli.js";
import { launchChromium, type PageProblems, skipWithoutBrowser as skip, watchPage } from "./chromium-page.js";
import { openHandmade, writeHandmadeCache } from "./handmade-feature-cache.js";
import { httpRequest } from "./http-client.js";
import { type ServeProcess, spawnServe } from "./serve-process.js";

/**
 * The training page of `cosae serve --train`: headless Chromium with WebGPU on
 * SwiftShader trains an SAE in the tab on activations the server streams from
 * disk, and ends where `cosae train` ends with the same options and seed.
 */
// Made in before() itself: a root-level before() may run ahead of useTemporaryFolder's.
let folder = "";
const artifacts = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "test-artifacts");
const D = 16;
const ROWS = 3000;
const run = { m: 32, k: 4, batchSize: 64, steps: 30, seed: 3 };
/** The page and Node run the same trainer and kernels, on two builds of Dawn and SwiftShader: float rounding apart at most. */
const TOLERANCE = 1e-5;

let data = "";
let nodeRun = "";
let serve: ServeProcess | null = null;
let browser: Browser | null = null;
let page: Page;
let problems: PageProblems;

before(async () => {
  folder = await mkdtemp(join(tmpdir(), "cosae-train-page-"));
  data = join(folder, "acts.npy");
  const synthetic = new SyntheticDataset({ d: D, features: 48, meanActive: 3, seed: 5 });
  await writeNpy(data, synthetic.batch("train", 0, ROWS).x, [ROWS, D]);
  serve = await spawnServe(["--train", "--data", data, "--port", "0"]);
  if (skip) return;
  nodeRun = join(folder, "node-run");
  // The same kernel set as the tab: webgpu, on Dawn's SwiftShader in Node.
  const trained = cosaeWithEnv(
    { ...process.env, COSAE_WEBGPU_ADAPTER: "swiftshader" },
    "train",
    ...["--kernels", "webgpu"],
    ...["--data", data, "--m", String(run.m), "--k", String(run.k), "--batchSize", String(run.batchSize)],
    ...["--steps", String(run.steps), "--seed", String(run.seed), "--logEvery", "1", "--out", nodeRun],
  );
  assert.equal(trained.code, 0, trained.stderr);
  browser = await launchChromium({ webgpu: true });
  page = await browser.newPage({ acceptDownloads: true });
  problems = watchPage(page, new URL(serve.url).origin);
});

after(async () => {
  await browser?.close();
  await serve?.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

const port = () => Number(new URL(serve!.url).port);

function readMetrics(path: string): StepMetrics[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as StepMetrics);
}

function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < want.length; i++) {
    diff += (got[i]! - want[i]!) ** 2;
    norm += want[i]! ** 2;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test("the page trains an SAE in the tab on WebGPU (SwiftShader) and ends where cosae train ends", {
  skip,
}, async () => {
  await page.goto(`${serve!.url}train`);
  await page.waitForSelector("#app[data-state=ready]");
  assert.match(
    (await page.textContent("#adapter")) ?? "",
    /swiftshader/i,
    "the adapter is named before a run",
  );
  for (const [name, value] of Object.entries(run)) await page.fill(`input[name=${name}]`, String(value));
  assert.equal(await page.inputValue("select[name=kernels]"), "webgpu", "WebGPU is offered by default");
  await page.click("#start");
  await page.waitForSelector("#app[data-state=done], #app[data-state=failed]", { timeout: 600_000 });
  assert.equal(
    await page.getAttribute("#app", "data-state"),
    "done",
    `the run failed: ${await page.textContent("#message")}`,
  );
  assert.match(
    (await page.textContent("#adapter")) ?? "",
    /swiftshader/i,
    "WebGPU really ran, on SwiftShader",
  );
  const finalFvu = Number(await page.getAttribute("#final", "data-final-fvu"));
  assert.ok(Number.isFinite(finalFvu) && finalFvu > 0 && finalFvu < 1, `final FVU ${finalFvu}`);
  assert.equal(await page.locator("#charts svg path.line").count(), 2, "the loss and FVU curves are drawn");
  await mkdir(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, "train-page.png"), fullPage: true });

  // The tab's files: a cosae SAE folder and metrics.jsonl, downloaded as a user would.
  const saved = join(folder, "browser-sae");
  await mkdir(saved);
  for (const name of ["cfg.json", "sae_weights.safetensors", "metrics.jsonl"]) {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click(`a[download="${name}"]`),
    ]);
    assert.equal(download.suggestedFilename(), name);
    await download.saveAs(join(saved, name));
  }

  const inTab = readMetrics(join(saved, "metrics.jsonl"));
  const inNode = readMetrics(join(nodeRun, "metrics.jsonl"));
  assert.equal(inTab.length, run.steps);
  assert.deepEqual(
    inTab.map((m) => m.step),
    inNode.map((m) => m.step),
  );
  assert.equal(inTab.at(-1)!.fvu, finalFvu, "the page reports the last step's FVU");
  const losses = inTab.map((m) => m.loss);
  assert.ok(mean(losses.slice(-5)) < mean(losses.slice(0, 5)), `the loss fell: ${losses.join(", ")}`);
  assert.ok(inTab.at(-1)!.fvu < inTab[0]!.fvu, "the FVU fell");
  for (const key of ["loss", "fvu", "l0"] as const) {
    const error = relativeError(
      inTab.map((m) => m[key]),
      inNode.map((m) => m[key]),
    );
    assert.ok(error <= TOLERANCE, `${key} per step differs from cosae train's by ${error} (relative)`);
  }

  const tab = (await loadSae(saved)).sae;
  const node = (await loadSae(join(nodeRun, "sae"))).sae;
  assert.deepEqual(tab.config, node.config);
  // Initialisation runs on the CPU in both, from the same batches: the same numbers.
  assert.equal(tab.constants.scale, node.constants.scale);
  assert.equal(tab.constants.nu, node.constants.nu);
  assert.ok(
    Math.abs(tab.constants.threshold - node.constants.threshold) <=
      TOLERANCE * Math.abs(node.constants.threshold),
  );
  for (const name of paramNames) {
    const error = relativeError(tab.params[name], node.params[name]);
    assert.ok(error <= TOLERANCE, `${name} differs from cosae train's by ${error} (relative)`);
  }
  const cfg = JSON.parse(readFileSync(join(saved, "cfg.json"), "utf8")) as { metadata: { kernels: string } };
  assert.match(cfg.metadata.kernels, /webgpu/);

  assert.deepEqual(problems.pageErrors, []);
  assert.deepEqual(problems.consoleErrors, [], "no console errors (CSP violations land there)");
  assert.deepEqual(problems.outside, []);
  assert.deepEqual(problems.failed, []);
});

test("the form refuses what cosae train refuses, and the CPU kernels train in the tab too", {
  skip,
}, async () => {
  await page.goto(`${serve!.url}train`);
  await page.waitForSelector("#app[data-state=ready]");
  await page.fill("input[name=m]", "8");
  await page.fill("input[name=k]", "9");
  await page.click("#start");
  await page.waitForSelector("#message .error");
  assert.match((await page.textContent("#message")) ?? "", /"k" \(9\) must not exceed "m" \(8\)/);
  assert.equal(await page.getAttribute("#app", "data-state"), "ready", "nothing started");

  await page.fill("input[name=k]", "2");
  await page.fill("input[name=batchSize]", "32");
  await page.fill("input[name=steps]", "4");
  await page.selectOption("select[name=kernels]", "cpu");
  await page.click("#start");
  await page.waitForSelector("#app[data-state=done], #app[data-state=failed]", { timeout: 600_000 });
  assert.equal(
    await page.getAttribute("#app", "data-state"),
    "done",
    (await page.textContent("#message")) ?? "",
  );
  assert.match((await page.textContent("#adapter")) ?? "", /CPU kernels/);
  assert.ok(Number.isFinite(Number(await page.getAttribute("#final", "data-final-fvu"))));
  assert.deepEqual(problems.pageErrors, []);
  assert.deepEqual(problems.consoleErrors, []);
});

test("the batch route serves cosae train's batches and refuses bad queries with clear 400s", async () => {
  const get = (path: string, method = "GET") => httpRequest(port(), { path, method });
  const meta = JSON.parse((await get("/api/train/meta")).body.toString()) as TrainingDataMeta;
  assert.equal(meta.d, D);
  assert.equal(meta.rows, ROWS);
  assert.ok(meta.maxBatchRows >= 1);

  const ok = await get("/api/train/batch?index=2&size=5&seed=3");
  assert.equal(ok.status, 200);
  assert.equal(ok.headers["content-type"], "application/octet-stream");
  assert.equal(ok.body.length, 5 * D * 4);
  const rows = new Float32Array(
    ok.body.buffer.slice(ok.body.byteOffset, ok.body.byteOffset + ok.body.length),
  );
  assert.ok(rows.every(Number.isFinite));
  assert.ok(rows.some((v) => v !== 0));
  // a batch is a pure function of (seed, index, size)
  assert.deepEqual((await get("/api/train/batch?index=2&size=5&seed=3")).body, ok.body);
  assert.notDeepEqual((await get("/api/train/batch?index=2&size=5&seed=4")).body, ok.body);
  const head = await get("/api/train/batch?index=2&size=5&seed=3", "HEAD");
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);

  const refused: [string, RegExp][] = [
    ["index=0&size=5", /missing query parameter "seed"/],
    ["index=x&size=5&seed=0", /malformed query parameter/],
    ["index=-1&size=5&seed=0", /malformed query parameter/],
    ["index=01&size=5&seed=0", /"index" must be a whole number/],
    ["index=1e3&size=5&seed=0", /malformed query parameter/],
    ["index=0&size=0&seed=0", /at least 1 row/],
    [`index=0&size=${meta.maxBatchRows + 1}&seed=0`, /over the cap of \d+ rows a batch/],
    ["index=0&size=5&seed=4294967296", /"seed" must be a whole number/],
    ["index=0&size=5&seed=0&seed=1", /given twice/],
    ["index=0&size=5&seed=0&rows=9", /unknown query parameter "rows"/],
    ["index=99999999999999999&size=5&seed=0", /"index" must be a whole number/],
    ["index=0&size=5&seed=%30", /malformed query parameter/],
  ];
  for (const [query, message] of refused) {
    const r = await get(`/api/train/batch?${query}`);
    assert.equal(r.status, 400, query);
    assert.match((JSON.parse(r.body.toString()) as { error: string }).error, message, query);
  }
  for (const path of ["/api/train", "/api/train/", "/api/train/batches", "/api/train/meta/1", "/api/saes"])
    assert.equal((await get(path)).status, 404, path);
  // the page is also at / when no SAE is served; its script is a module served by the server
  const root = await get("/");
  assert.equal(root.status, 200);
  assert.match(root.body.toString(), /<script type="module" src="\/assets\/train-page\/main\.js"><\/script>/);
  assert.equal((await get("/assets/train-page/main.js")).status, 200);
  assert.equal(
    (await httpRequest(port(), { path: "/api/train/meta", method: "POST", body: "x" })).status,
    405,
  );
});

test("without --train neither the training page nor its API is served", async () => {
  const made = await writeHandmadeCache(folder, "sae", { m: 8, d: 4, seed: 1 });
  const server = await startFeatureServer({ saes: [await openHandmade(made)], port: 0 });
  try {
    for (const path of [
      "/train",
      "/assets/train-page/main.js",
      "/api/train/meta",
      "/api/train/batch?index=0&size=1&seed=0",
    ]) {
      const r = await httpRequest(server.port, { path });
      assert.equal(r.status, 404, path);
    }
    assert.equal((await httpRequest(server.port, { path: "/" })).status, 200);
  } finally {
    await server.close();
  }
  const refused = cosae("serve", "--data", data, "--port", "0");
  assert.notEqual(refused.code, 0);
  assert.match(
    refused.stderr,
    /serve takes one or two SAE folders, got 0 \(--train serves the training page without one\)/,
  );
});
