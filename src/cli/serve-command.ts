import { lookup } from "node:dns/promises";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { parseArgs } from "node:util";
import { ActivationDataset } from "../data/activation-dataset.js";
import {
  defaultCachePath,
  defaultFeatureCacheOptions,
  ensureFeatureCache,
} from "../features/build-feature-cache.js";
import { FeatureCache } from "../features/feature-cache-file.js";
import { loadSae } from "../io/load-sae.js";
import { chooseKernels } from "../kernels/choose-kernels.js";
import { checkAllocation } from "../util/memory-budget.js";
import { systemErrorCode, withPathContext } from "../util/system-error.js";
import { checkWritableFolder } from "../util/writable-path.js";
import { isLoopbackHost } from "../web/host-check.js";
import { type ServedSae, servedSae } from "../web/served-sae.js";
import { startFeatureServer } from "../web/server.js";
import { TrainingData } from "../web/training-data.js";
import { kernelsFlag, kernelsFlagHelp, kernelsKind } from "./kernels-flag.js";
import { ProgressBar } from "./progress.js";

export const serveHelp = `cosae serve SAE [SAE2] --data PATH [--model M] [--tokens N] [--port 8008] [--host 127.0.0.1] [--rebuild] [--cacheDir DIR]
cosae serve --train --data PATH [SAE [SAE2]] [--port 8008] [--host 127.0.0.1]

Opens a feature browser for one SAE, or two side by side: each latent's
top-activating contexts, activation quantiles, histogram, activation against
‖x‖, best concepts, promoted tokens and nearest latents by decoder cosine
(and in the other SAE). The first run builds a feature cache per SAE over the
dataset's last N tokens, saved in the SAE folder (feature-cache.<data>.bin)
and reused while SAE, data and options are unchanged.

With --train it also serves a training page at /train (and at / when no SAE is
given): it trains a small SAE in the browser tab, with WebGPU where the browser
has it, on the dataset's activations, streamed batch by batch as "cosae train
--data PATH" reads them, and offers the trained SAE folder's files for download.

  --data PATH    activation dataset with token ids (cosae harvest writes one)
  --model M      model for promoted/suppressed tokens (default: the dataset's manifest)
  --tokens N     dataset rows to encode for the cache (default ${defaultFeatureCacheOptions.tokens})
  --port P       0 picks a free port (default 8008)
  --host H       address to bind (default 127.0.0.1; anything else is reachable from the network)
  --rebuild      rebuild the caches even when they are up to date
  --cacheDir D   keep the caches in folder D instead of the SAE folders (for SAEs you cannot write to)
  --threads N    compute threads for the build (0: every core)
  --train        serve the training page too (SAE folders are then optional)
${kernelsFlagHelp(17)}

Prints "serving http://HOST:PORT/" and runs until Ctrl-C.`;

export async function serveCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: "string" },
      model: { type: "string" },
      tokens: { type: "string" },
      port: { type: "string", default: "8008" },
      host: { type: "string", default: "127.0.0.1" },
      rebuild: { type: "boolean", default: false },
      cacheDir: { type: "string" },
      threads: { type: "string", default: "0" },
      train: { type: "boolean", default: false },
      kernels: kernelsFlag,
    },
    strict: true,
  });
  // Every flag is checked before anything is read, built or bound.
  const withTraining = values.train;
  if (positionals.length < (withTraining ? 0 : 1) || positionals.length > 2)
    throw new Error(
      `serve takes one or two SAE folders, got ${positionals.length}` +
        `${positionals.length === 0 ? " (--train serves the training page without one)" : ""}; see "cosae help serve"`,
    );
  const dataPath = values.data;
  if (dataPath === undefined)
    throw new Error(
      withTraining && positionals.length === 0
        ? "serve --train needs --data: the activation dataset the page trains on"
        : 'serve needs --data: an activation dataset with token ids (made by "cosae harvest")',
    );
  const port = wholeNumber("--port", values.port, 0, 65535);
  const tokens = values.tokens === undefined ? undefined : wholeNumber("--tokens", values.tokens, 1);
  const threads = wholeNumber("--threads", values.threads, 0);
  const kernelsAsked = kernelsKind(values.kernels);
  const host = values.host;
  if (!/^[A-Za-z0-9.:-]+$/.test(host) && !/^\[[0-9A-Fa-f:.]+\]$/.test(host))
    throw new Error(`--host: expected a host name or IP address, got "${host}"`);
  const bindHost = host.replace(/^\[(.*)\]$/, "$1");
  if (values.model !== undefined && !existsSync(values.model))
    throw new Error(
      `--model ${values.model}: not found; expected a llama2.c .bin file or a Hugging Face folder`,
    );

  // Where it will listen and where caches go are checked before minutes of cache building.
  await assertCanListen(host, bindHost, port);
  const cacheDir = values.cacheDir;
  if (cacheDir !== undefined) await checkWritableFolder("--cacheDir", cacheDir);

  const training = withTraining ? await TrainingData.open(dataPath) : null;
  if (positionals.length === 0) return serveUntilStopped({ saes: [], training, host, bindHost, port });
  const dataset = await ActivationDataset.open(dataPath);
  if (!dataset.hasTokens)
    throw new Error(
      `${values.data}: the activations have no token ids, and the browser shows tokens; harvest them with "cosae harvest"`,
    );
  const saes = [];
  for (const folder of positionals) {
    const loaded = await loadSae(folder);
    if (loaded.sae.config.d !== dataset.d)
      throw new Error(
        `${folder}: the SAE has d = ${loaded.sae.config.d} but ${values.data} has d = ${dataset.d}`,
      );
    const cache = defaultCachePath(folder, dataPath, cacheDir);
    if (cacheDir === undefined && (values.rebuild || !existsSync(cache)))
      await checkWritableFolder(cacheOwner(folder), folder);
    saes.push({ folder, sae: loaded.sae, cache });
  }
  // The cache holds the encoded rows: the rows read, their codes and measures.
  const cacheRows = Math.min(tokens ?? defaultFeatureCacheOptions.tokens, dataset.rows);
  checkAllocation({
    what: `the feature cache over ${cacheRows} rows of d = ${dataset.d}`,
    largestArray: cacheRows * dataset.d,
    totalBytes: 3 * cacheRows * dataset.d * 4,
    options: "--tokens",
  });

  const kernels = await chooseKernels(threads, kernelsAsked);

  process.stderr.write(`${kernels.description}\n`);
  try {
    if (cacheDir !== undefined)
      await withPathContext("--cacheDir", cacheDir, () => mkdir(cacheDir, { recursive: true }));
    for (const { folder, cache } of saes) {
      let bar: { phase: string; bar: ProgressBar } | null = null;
      const owner = cacheDir === undefined ? cacheOwner(folder) : "--cacheDir";
      const { built } = await withPathContext(owner, cache, () =>
        ensureFeatureCache({
          saePath: folder,
          dataPath,
          out: cache,
          modelPath: values.model ?? null,
          options: tokens === undefined ? {} : { tokens },
          kernels,
          rebuild: values.rebuild,
          progress: (phase, done, total) => {
            if (bar?.phase !== phase) bar = { phase, bar: new ProgressBar(`${folder} ${phase}`, total) };
            bar.bar.show(done, `${done}/${total}`);
          },
        }),
      );
      process.stderr.write(`${folder}: ${built ? "built" : "reusing"} ${cache}\n`);
    }
  } finally {
    await kernels.dispose();
  }

  const served: ServedSae[] = [];
  for (const { folder, sae, cache: path } of saes) {
    const cache = await FeatureCache.open(path);
    const { m, d } = cache.header.overview;
    if (m !== sae.config.m || d !== sae.config.d)
      throw new Error(
        `${path}: the feature cache describes an SAE with d = ${d}, m = ${m}, but ${folder} has ` +
          `d = ${sae.config.d}, m = ${sae.config.m}; it changed while serve started: run again (or pass --rebuild)`,
      );
    served.push(
      servedSae(cache, { rows: Float32Array.from(sae.params.decoder), m: sae.config.m, d: sae.config.d }),
    );
  }
  await serveUntilStopped({ saes: served, training, host, bindHost, port });
}

/** Starts the server, says where, and runs until SIGINT or SIGTERM. */
async function serveUntilStopped(options: {
  saes: ServedSae[];
  training: TrainingData | null;
  host: string;
  bindHost: string;
  port: number;
}): Promise<void> {
  const { saes, training, host, bindHost, port } = options;
  const server = await startFeatureServer({ saes, training, host: bindHost, port });
  if (!isLoopbackHost(bindHost))
    process.stderr.write(
      `warning: bound to ${host}: the browser is reachable from the network by anyone who can reach this machine\n`,
    );
  // Listen for the stop signals before saying "serving": a caller may send one as soon as it reads the line.
  const stopped = untilSignal();
  process.stdout.write(`serving ${server.url}\n`);
  if (training) process.stdout.write(`training page: ${server.url}train (${training.meta.dataset})\n`);
  await stopped;
  await server.close();
  process.stderr.write("stopped\n");
}

/** A whole number in [min, max] written in plain digits. */
function wholeNumber(flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(Number.isSafeInteger(value) && value >= min && value <= max))
    throw new Error(
      `${flag}: expected a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : " up"}, got "${text}"`,
    );
  return value;
}

/** What a system error names when the cache goes into the SAE folder (there is no option to name). */
function cacheOwner(folder: string): string {
  return `the feature cache of ${folder} (--cacheDir keeps it elsewhere)`;
}

/**
 * Fails now, not after minutes of cache building, when the host does not
 * resolve, is not an address of this machine, or the port is taken
 * (port 0 probes a free port, so the host is checked all the same).
 */
async function assertCanListen(host: string, bindHost: string, port: number): Promise<void> {
  try {
    await lookup(bindHost);
  } catch (e) {
    throw new Error(
      `--host ${host}: the name does not resolve (${systemErrorCode(e) ?? (e as Error).message}); ` +
        "expected a host name or IP address of this machine, e.g. 127.0.0.1",
    );
  }
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        new Error(
          e.code === "EADDRINUSE"
            ? `--port ${port}: cannot listen on ${host}:${port}: the port is in use; pass another --port, or 0 for a free one`
            : `--host ${host}: cannot listen on ${host}:${port}: ${e.code === "EADDRNOTAVAIL" ? "not an address of this machine" : e.message}`,
        ),
      ),
    );
    probe.listen(port, bindHost, () => probe.close(() => resolve()));
  });
}

/** Resolves at the first SIGINT or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
