import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { Agent, request } from "node:http";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Browser } from "playwright-core";
import { buildFeatureCache, defaultCachePath } from "../src/features/build-feature-cache.js";
import { FeatureCache } from "../src/features/feature-cache-file.js";
import type { LatentTable } from "../src/features/latent-record.js";
import { writeJsonAtomic } from "../src/io/atomic-write.js";
import { loadSae } from "../src/io/load-sae.js";
import { chooseKernels } from "../src/kernels/choose-kernels.js";
import { Rng } from "../src/util/rng.js";
import { type ServedSae, servedSae } from "../src/web/served-sae.js";
import { type FeatureServer, startFeatureServer } from "../src/web/server.js";
import { findChromium } from "../test/helpers/chromium-browser.js";
import { browserBenchK, corpusPath, hook, modelPath, type Prepared, preparedPath } from "./browser-data.js";
import { launchChromium, type PageRun, pageRun, type Timed } from "./browser-page.js";
import { measurePeak } from "./peak.js";

/**
 * `npm run bench:browser`: the feature browser at full size. Harvests real
 * activations (stories260K, blocks.3.hook_resid_pre, d = 64), trains an inner
 * and a cosine SAE briefly (m = 16,384, k = 32), then measures what `cosae
 * serve` does with them: the feature cache build per phase, the server's
 * responses, and the page in headless Chromium. Table on stdout, figures in
 * runs/bench/browser.json. Speed goals are checked here, never by timed tests.
 */
const { m, tokens, steps, reps, requests, threads, out } = checkedOptions();

/**
 * Undone in reverse order when the bench ends, however it ends. On SIGINT or SIGTERM the
 * `interrupt` ones (the data process, the browser) are stopped at once, so that what the bench
 * waits on fails; the bench checks `stopping` between steps, unwinds, and cleans up the rest.
 */
const cleanups: { what: string; run: () => Promise<void> | void; interrupt?: boolean }[] = [];
let cleaning: Promise<void> | null = null;
const cleanUp = () => {
  cleaning ??= (async () => {
    for (let c = cleanups.pop(); c !== undefined; c = cleanups.pop()) {
      try {
        await c.run();
      } catch (e) {
        process.stderr.write(`cleanup (${c.what}): ${e instanceof Error ? e.message : String(e)}\n`);
      }
    }
  })();
  return cleaning;
};
let stopping = false;
/** Throws once a signal asked the bench to stop. */
const checkStop = () => {
  if (stopping) throw new Error("stopped by a signal");
};

const finished = (async () => {
  try {
    await main();
  } catch (e) {
    process.exitCode = 1;
    // (after a signal, what fails is what the interruption stopped)
    if (!stopping)
      process.stderr.write(`browser bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  } finally {
    await cleanUp();
  }
})();
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const)
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`browser bench: ${signal}, stopping and cleaning up\n`);
    for (const c of cleanups.filter((c) => c.interrupt))
      void Promise.resolve()
        .then(c.run)
        .catch(() => {});
    void finished.finally(() => process.exit(code));
    // Should the bench not unwind (a step that never checks), clean up regardless.
    setTimeout(() => void cleanUp().finally(() => process.exit(code)), 20_000).unref();
  });
await finished;

interface CacheRow {
  score: string;
  trainSeconds: number;
  /** seconds per phase: setup (stamp, SAE, tokens), read, encode, concepts (+ measures), unembedding (+ model), records (+ write) */
  phases: Record<string, number>;
  seconds: number;
  bytes: number;
  tokens: number;
  encodeGflops: number;
  encodeShareOfPeak: number;
  /** the process's peak RSS once this cache was built (the server and earlier builds included) */
  maxRssMiB: number;
  fvu: number;
  l0: number;
  deadShare: number;
}

async function main(): Promise<void> {
  const benchStart = performance.now();
  const loadBefore = loadavg()[0]!;
  await mkdir(dirname(out), { recursive: true }); // now, not after the whole run
  const folder = await mkdtemp(join(tmpdir(), "cosae-browser-bench-"));
  cleanups.push({ what: "temporary folder", run: () => rm(folder, { recursive: true, force: true }) });
  console.log(
    `browser bench: m ${m}, k ${browserBenchK}, ${tokens} tokens of ${hook}, ${steps} training steps; in ${folder}`,
  );

  // 1. Data and SAEs, in a child process.
  const prepared = await prepare(folder);
  if (prepared.rows < tokens)
    console.log(`note: the corpus gave ${prepared.rows} rows, fewer than --tokens ${tokens}`);

  // 2. Feature caches, as `cosae serve` builds them.
  const kernels = await chooseKernels(threads);
  const caches: CacheRow[] = [];
  const served: ServedSae[] = [];
  let serverOwnsCaches = false;
  try {
    for (const sae of prepared.saes) {
      const cachePath = defaultCachePath(sae.folder, prepared.data);
      const marks: { phase: string; first: number; last: number }[] = [];
      const start = performance.now();
      const header = await buildFeatureCache({
        saePath: sae.folder,
        dataPath: prepared.data,
        out: cachePath,
        modelPath,
        options: { tokens },
        kernels,
        progress: (phase) => {
          checkStop();
          const now = performance.now();
          const last = marks.at(-1);
          if (last?.phase === phase) last.last = now;
          else {
            marks.push({ phase, first: now, last: now });
            process.stderr.write(`${sae.score} cache: ${phase}…\n`);
          }
        },
      });
      const end = performance.now();
      // Setup (stamp, SAE, tokens) runs from the start to the first progress call; each phase from
      // there, or from the previous phase's last call, to its own last call; the last one to the end.
      const phases: Record<string, number> = { setup: ((marks[0]?.first ?? end) - start) / 1000 };
      for (const [i, mark] of marks.entries()) {
        const from = i === 0 ? mark.first : marks[i - 1]!.last;
        const to = i === marks.length - 1 ? end : mark.last;
        phases[mark.phase] = (to - from) / 1000;
      }
      const { overview } = header;
      const encodeGflops = (2 * overview.tokens * overview.m * overview.d) / ((phases.encode ?? 0) * 1e9);
      caches.push({
        score: sae.score,
        trainSeconds: sae.trainSeconds,
        phases,
        seconds: (end - start) / 1000,
        bytes: statSync(cachePath).size,
        tokens: overview.tokens,
        encodeGflops,
        encodeShareOfPeak: Number.NaN,
        maxRssMiB: process.resourceUsage().maxRSS / 1024,
        fvu: overview.measures.fvu,
        l0: overview.measures.l0,
        deadShare: overview.measures.deadShare,
      });
    }
    // Measured again after the builds (so its arrays do not count in their peak RSS); the best counts:
    // other work on a shared machine only ever lowers a timing.
    checkStop();
    const peakAfter = await measurePeak(kernels);
    const peak = { ...peakAfter, before: prepared.peak.gflops, after: peakAfter.gflops };
    peak.gflops = Math.max(prepared.peak.gflops, peakAfter.gflops);
    for (const c of caches) c.encodeShareOfPeak = c.encodeGflops / peak.gflops;
    console.log(
      `fp32 GEMM peak: ${peak.gflops.toFixed(1)} GFLOP/s (${peak.shape}; ${kernels.name}; ` +
        `${peak.before.toFixed(0)} before the builds, ${peak.after.toFixed(0)} after)`,
    );

    // 3. The server, in this process (as cosae serve runs it).
    const serverStart = performance.now();
    for (const sae of prepared.saes) {
      const cache = await FeatureCache.open(defaultCachePath(sae.folder, prepared.data));
      const { sae: model } = await loadSae(sae.folder);
      const { m: latents, d } = model.config;
      served.push(servedSae(cache, { rows: Float32Array.from(model.params.decoder), m: latents, d }));
    }
    const server = await startFeatureServer({ saes: served, port: 0 });
    serverOwnsCaches = true; // (server.close closes them)
    cleanups.push({ what: "server", run: () => server.close() });
    checkStop();
    const serverStartSeconds = (performance.now() - serverStart) / 1000;
    const http = await measureServer(server, prepared.saes.length);
    const serverRssMiB = process.memoryUsage().rss / 2 ** 20;

    // 4. The page.
    const browser = await launchChromium();
    // One close, awaited by whoever asks (a signal, then the cleanup): a second call would not wait
    // for Chromium to exit, and exiting under it leaves its profile lock in the temporary folder.
    const closing = browser.close.bind(browser);
    let closed: Promise<void> | null = null;
    cleanups.push({ what: "browser", run: () => (closed ??= closing()), interrupt: true });
    checkStop();
    const pages = await measurePage(browser, server.url, http.table);

    const loadAfter = loadavg()[0]!;
    const seconds = (performance.now() - benchStart) / 1000;
    const result = {
      machine: {
        cpu: cpus()[0]?.model ?? "unknown",
        cores: cpus().length,
        memoryGiB: totalmem() / 2 ** 30,
        node: process.version,
        chromium: browser.version(),
        kernels: kernels.name,
        peak,
        loadBefore,
        loadAfter,
      },
      options: { latents: m, k: browserBenchK, tokens, steps, reps, requests, model: modelPath, hook },
      data: {
        rows: prepared.rows,
        harvestSeconds: prepared.harvestSeconds,
        harvestTokensPerSecond: prepared.harvestTokensPerSecond,
        prepareMaxRssMiB: prepared.maxRssMiB,
      },
      caches,
      server: {
        startSeconds: serverStartSeconds,
        rssMiB: serverRssMiB,
        tables: http.tables,
        latents: http.latents,
      },
      page: pages,
      /** this process's peak RSS over the whole bench (the cache builds, the server, this client) */
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      seconds,
    };
    await writeJsonAtomic(out, result);
    printTables(result);
    console.log(
      `load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after; ` +
        `bench took ${seconds.toFixed(0)} s; written ${out}`,
    );
  } finally {
    if (!serverOwnsCaches) for (const s of served) await s.cache.close();
    await kernels.dispose();
  }
}

/** Runs browser-data.js in a child process; its peak RSS stays its own. */
async function prepare(folder: string): Promise<Prepared> {
  const script = fileURLToPath(new URL("./browser-data.js", import.meta.url));
  const args = [script, folder, String(tokens), String(m), String(steps), String(threads)];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "inherit", "inherit"] });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve(signal === null ? code : null));
  });
  const entry = {
    what: "data process",
    interrupt: true,
    run: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited.catch(() => null);
    },
  };
  cleanups.push(entry);
  const code = await exited;
  // (gone already when a signal's cleanup ran it)
  if (cleanups.includes(entry)) cleanups.splice(cleanups.indexOf(entry), 1);
  if (code !== 0) throw new Error(`preparing the data and SAEs failed (${script} exited with ${code})`);
  return JSON.parse(await readFile(preparedPath(folder), "utf8")) as Prepared;
}

interface Reply {
  status: number;
  bytes: number;
  ms: number;
  body: Buffer;
}

/** Latent tables (raw and gzipped) and latent records over one keep-alive connection, as a browser keeps one. */
async function measureServer(server: FeatureServer, saes: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string, gzip: boolean) =>
    new Promise<Reply>((resolve, reject) => {
      const start = performance.now();
      const req = request(
        {
          host: server.host,
          port: server.port,
          path,
          agent,
          headers: gzip ? { "Accept-Encoding": "gzip" } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const body = Buffer.concat(chunks);
            resolve({ status: res.statusCode!, bytes: body.length, ms: performance.now() - start, body });
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end();
    });
  const ok = (r: Reply, path: string) => {
    if (r.status !== 200)
      throw new Error(`GET ${path}: ${r.status} ${r.body.toString("utf8").slice(0, 200)}`);
    return r;
  };
  try {
    const tables = [];
    let table: LatentTable | null = null;
    for (let sae = 0; sae < saes; sae++) {
      const path = `/api/saes/${sae}/latents`;
      const raw: Reply[] = [];
      const zipped: Reply[] = [];
      for (let r = 0; r < 5; r++) {
        raw.push(ok(await get(path, false), path));
        zipped.push(ok(await get(path, true), path));
      }
      if (sae === 0) table = (JSON.parse(raw[0]!.body.toString("utf8")) as { table: LatentTable }).table;
      tables.push({
        sae,
        rawBytes: raw[0]!.bytes,
        gzipBytes: zipped[0]!.bytes,
        rawMs: median(raw.map((r) => r.ms)),
        gzipMs: median(zipped.map((r) => r.ms)),
      });
    }
    const rng = new Rng(7, 3);
    const ms: number[] = [];
    const raw: number[] = [];
    const zipped: number[] = [];
    for (let i = 0; i < requests; i++) {
      checkStop();
      const sae = i % saes;
      const latent = rng.int(m);
      const path = `/api/saes/${sae}/latents/${latent}`;
      const r = ok(await get(path, true), path);
      ms.push(r.ms);
      zipped.push(r.bytes);
      raw.push(ok(await get(path, false), path).bytes);
    }
    return {
      table: table!,
      tables,
      latents: {
        requests,
        p50Ms: quantile(ms, 0.5),
        p95Ms: quantile(ms, 0.95),
        maxMs: Math.max(...ms),
        meanMs: ms.reduce((s, x) => s + x, 0) / ms.length,
        gzipBytesMean: zipped.reduce((s, x) => s + x, 0) / zipped.length,
        rawBytesMean: raw.reduce((s, x) => s + x, 0) / raw.length,
      },
    };
  } finally {
    agent.destroy();
  }
}

/** `reps` visits, each opening a different firing latent; medians of each figure. */
async function measurePage(browser: Browser, url: string, table: LatentTable) {
  const firing = table.frequency.flatMap((f, j) => (f > 0 ? [j] : []));
  if (firing.length === 0) throw new Error("no latent of the first SAE fires: nothing to open");
  const rng = new Rng(11, 5);
  const query = "the";
  const runs: PageRun[] = [];
  // One visit first, not counted: Chromium's own start-up (code caches, fonts) is not the page's.
  const warmUp = await pageRun(browser, url, firing[rng.int(firing.length)]!, query);
  for (let r = 0; r < reps; r++) {
    checkStop();
    runs.push(await pageRun(browser, url, firing[rng.int(firing.length)]!, query));
    process.stderr.write(`page visit ${r + 1}/${reps}\n`);
  }
  const problems = [warmUp, ...runs].flatMap((r) => r.problems);
  if (problems.length > 0) throw new Error(`the page reported problems:\n${problems.join("\n")}`);
  const timedMedian = (pick: (r: PageRun) => Timed): Timed => ({
    ms: median(runs.map((r) => pick(r).ms)),
    frameMs: median(runs.map((r) => pick(r).frameMs)),
  });
  return {
    reps,
    query,
    medians: {
      firstRowsMs: median(runs.map((r) => Math.max(...r.firstRowsMs))),
      readyMs: median(runs.map((r) => r.readyMs)),
      sortNumeric: timedMedian((r) => r.sortNumeric),
      sortText: timedMedian((r) => r.sortText),
      search: timedMedian((r) => r.search),
      clearSearch: timedMedian((r) => r.clearSearch),
      openLatent: timedMedian((r) => r.openLatent),
      openOther: timedMedian((r) => r.openOther),
      domRows: runs[0]!.domRows,
      domElements: median(runs.map((r) => r.domElements)),
      jsHeapMiB: median(runs.map((r) => r.jsHeapMiB)),
    },
    searchMatches: runs[0]!.searchMatches,
    runs: runs.map(({ problems: _, ...r }) => r),
  };
}

function printTables(r: {
  options: { latents: number; tokens: number };
  data: { rows: number; harvestSeconds: number };
  caches: CacheRow[];
  server: {
    startSeconds: number;
    rssMiB: number;
    tables: { sae: number; rawBytes: number; gzipBytes: number; rawMs: number; gzipMs: number }[];
    latents: {
      requests: number;
      p50Ms: number;
      p95Ms: number;
      maxMs: number;
      rawBytesMean: number;
      gzipBytesMean: number;
    };
  };
  page: Awaited<ReturnType<typeof measurePage>>;
}): void {
  const phaseNames = ["setup", "read", "encode", "concepts", "unembedding", "records"];
  console.log(
    `\nfeature cache build (m ${r.options.latents}, ${r.caches[0]?.tokens ?? 0} tokens; harvest of ` +
      `${r.data.rows} rows took ${r.data.harvestSeconds.toFixed(1)} s); seconds per phase`,
  );
  printTable(
    [
      "SAE",
      "train s",
      ...phaseNames,
      "total s",
      "cache MiB",
      "enc GF/s",
      "of peak",
      "peak RSS MiB",
      "FVU",
      "L0",
      "dead",
    ],
    r.caches.map((c) => [
      c.score,
      c.trainSeconds.toFixed(1),
      ...phaseNames.map((p) => (c.phases[p] ?? 0).toFixed(2)),
      c.seconds.toFixed(1),
      (c.bytes / 2 ** 20).toFixed(1),
      c.encodeGflops.toFixed(0),
      `${(100 * c.encodeShareOfPeak).toFixed(0)}%`,
      c.maxRssMiB.toFixed(0),
      c.fvu.toFixed(3),
      c.l0.toFixed(1),
      `${(100 * c.deadShare).toFixed(1)}%`,
    ]),
  );
  const s = r.server;
  console.log(
    `\nserver: started in ${(1000 * s.startSeconds).toFixed(0)} ms, RSS ${s.rssMiB.toFixed(0)} MiB serving; ` +
      `${s.latents.requests} latent records: p50 ${s.latents.p50Ms.toFixed(1)} ms, p95 ${s.latents.p95Ms.toFixed(1)} ms, ` +
      `max ${s.latents.maxMs.toFixed(1)} ms; ${(s.latents.rawBytesMean / 1024).toFixed(1)} KiB, ` +
      `${(s.latents.gzipBytesMean / 1024).toFixed(1)} KiB gzipped`,
  );
  printTable(
    ["latent table", "raw KiB", "gzip KiB", "raw ms", "gzip ms"],
    s.tables.map((t) => [
      `SAE ${t.sae}`,
      (t.rawBytes / 1024).toFixed(0),
      (t.gzipBytes / 1024).toFixed(0),
      t.rawMs.toFixed(1),
      t.gzipMs.toFixed(1),
    ]),
  );
  const p = r.page.medians;
  console.log(
    `\npage in headless Chromium (median of ${r.page.reps} visits): first list rows ${p.firstRowsMs.toFixed(0)} ms ` +
      `after navigation (ready ${p.readyMs.toFixed(0)} ms); ${p.domRows.join(" + ")} list rows and ` +
      `${p.domElements.toFixed(0)} elements in the DOM; JS heap ${p.jsHeapMiB.toFixed(1)} MiB`,
  );
  const rows: [string, Timed][] = [
    ["sort by AUROC", p.sortNumeric],
    ["sort by best concept", p.sortText],
    [`search "${r.page.query}" (${r.page.searchMatches})`, p.search],
    ["clear the search", p.clearSearch],
    ["open a latent (fetch + draw)", p.openLatent],
    ["open its neighbour in pane b", p.openOther],
  ];
  printTable(
    ["action", "ms to layout", "ms to next frame"],
    rows.map(([name, t]) => [name, t.ms.toFixed(1), t.frameMs.toFixed(1)]),
  );
}

function printTable(head: string[], lines: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(fmt(head));
  for (const l of lines) console.log(fmt(l));
}

function median(xs: number[]): number {
  return quantile(xs, 0.5);
}

/** Linear interpolation between order statistics. */
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const at = q * (s.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo]! + (at - lo) * (s[hi]! - s[lo]!);
}

/** The numeric options, checked, and the files this bench needs; a clear message and exit 2 otherwise. */
function checkedOptions() {
  try {
    const { values } = parseArgs({
      options: {
        latents: { type: "string", default: "16384" },
        tokens: { type: "string", default: "131072" },
        steps: { type: "string", default: "60" },
        reps: { type: "string", default: "5" },
        requests: { type: "string", default: "200" },
        threads: { type: "string", default: "0" },
        out: { type: "string", default: "runs/bench/browser.json" },
      },
      strict: true,
    });
    const options = {
      out: values.out,
      m: wholeNumber("--latents", values.latents, 2 * browserBenchK, 1 << 17),
      tokens: wholeNumber("--tokens", values.tokens, 8192, 1 << 20),
      steps: wholeNumber("--steps", values.steps, 1, 100_000),
      reps: wholeNumber("--reps", values.reps, 1, 100),
      requests: wholeNumber("--requests", values.requests, 1, 100_000),
      threads: wholeNumber("--threads", values.threads, 0, 1024),
    };
    for (const [what, path] of [
      ["model", modelPath],
      ["corpus", corpusPath],
    ] as const) {
      if (!existsSync(path))
        throw new Error(`the ${what} ${path} is missing; the browser benchmark needs it`);
    }
    const { missing } = findChromium();
    if (missing) throw new Error(`Chromium is missing (${missing}); the browser benchmark needs it`);
    return options;
  } catch (e) {
    process.stderr.write(`browser bench: ${(e as Error).message}\n`);
    process.exit(2);
  }
}

/** A whole number in [min, max] written in plain digits. */
function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(Number.isSafeInteger(value) && value >= min && value <= max))
    throw new Error(`${flag}: expected a whole number from ${min} to ${max}, got "${text}"`);
  return value;
}
