/**
 * The feature browser's HTTP server (node:http, GET and HEAD only): the page
 * and its fixed assets, and a read-only JSON API over the open feature caches.
 *
 *   GET /                                  the page
 *   GET /assets/…                          its CSS and scripts (a fixed list, see web-assets.ts)
 *   GET /api/saes                          SaeListResponse
 *   GET /api/saes/:sae/latents             LatentTableResponse
 *   GET /api/saes/:sae/latents/:latent     LatentResponse
 *
 * With a training source (cosae serve --train) also the training page:
 *
 *   GET /train                             the page (also / when no SAE is served)
 *   GET /assets/train-page/main.js         its script (one bundled module)
 *   GET /api/train/meta                    TrainingDataMeta
 *   GET /api/train/batch?index=I&size=B&seed=S
 *                                          batch I: B rows of d little-endian float32
 *
 * Everything else is 404; other methods 405; a request body 413; a long URL
 * 414; long headers 431 (node); a Host that is not this loopback server 421.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { LatentTableResponse, SaeListResponse } from "../features/latent-record.js";
import { acceptsGzip } from "./accepts-gzip.js";
import { hostHeaderCheck } from "./host-check.js";
import { latentResponse } from "./latent-response.js";
import { binaryType, jsonType, type PreparedBody, prepareBody, prepareJson } from "./prepared-body.js";
import { requestLimits } from "./request-limits.js";
import { route } from "./routes.js";
import { sendBody, sendError } from "./send-response.js";
import type { ServedSae } from "./served-sae.js";
import type { TrainingData } from "./training-data.js";
import { loadWebAssets, trainingAssetFiles, webAssetFiles } from "./web-assets.js";

export interface FeatureServerOptions {
  /** one SAE, or two shown side by side; none when only the training page is served */
  saes: readonly ServedSae[];
  /** the activations the training page trains on; without it there is no training page */
  training?: TrainingData | null;
  /** default 127.0.0.1; anything not loopback makes the browser reachable from the network */
  host?: string;
  /** default 8008; 0 picks a free port */
  port?: number;
  /** default: the built pages next to this module */
  assets?: Map<string, PreparedBody>;
  /** where unexpected errors are reported (default stderr) */
  log?: (line: string) => void;
}

export interface FeatureServer {
  /** http://host:port/ with the real port */
  url: string;
  host: string;
  port: number;
  /** stops listening, ends open connections, closes the caches */
  close(): Promise<void>;
}

export async function startFeatureServer(options: FeatureServerOptions): Promise<FeatureServer> {
  const { saes } = options;
  const training = options.training ?? null;
  if (saes.length > 2 || (saes.length === 0 && !training))
    throw new Error(`the browser shows one or two SAEs, not ${saes.length}`);
  const host = options.host ?? "127.0.0.1";
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const assets =
    options.assets ??
    (await loadWebAssets(undefined, [
      ...(saes.length > 0 ? webAssetFiles : []),
      ...(training ? trainingAssetFiles(saes.length === 0) : []),
    ]));
  // The overview and the latent tables never change: encode and compress them once.
  const json = (value: unknown) => prepareBody(jsonType, Buffer.from(JSON.stringify(value), "utf8"));
  const saeList = json({ saes: saes.map((s) => s.cache.header.overview) } satisfies SaeListResponse);
  const tables = saes.map((s, sae) =>
    json({ sae, table: s.cache.header.table } satisfies LatentTableResponse),
  );
  const trainingMeta = training && json(training.meta);

  const server = createServer({
    maxHeaderSize: requestLimits.maxHeaderBytes,
    requireHostHeader: true,
    // how often node looks for requests past their timeouts (default 30 s)
    connectionsCheckingInterval: requestLimits.timeoutCheckMs,
  });
  server.headersTimeout = requestLimits.headersTimeoutMs;
  server.requestTimeout = requestLimits.requestTimeoutMs;
  server.keepAliveTimeout = requestLimits.keepAliveTimeoutMs;
  let hostAllowed: (hostHeader: string | undefined) => boolean = () => false;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? "";
    if (!hostAllowed(req.headers.host))
      return sendError(req, res, 421, `this server answers only requests for ${address()}`, { close: true });
    if (Buffer.byteLength(target) > requestLimits.maxUrlBytes)
      return sendError(req, res, 414, `request target longer than ${requestLimits.maxUrlBytes} bytes`, {
        close: true,
      });
    if (req.method !== "GET" && req.method !== "HEAD")
      return sendError(req, res, 405, `method ${req.method} not allowed`, {
        close: true,
        headers: { Allow: "GET, HEAD" },
      });
    if (hasBody(req)) return sendError(req, res, 413, "requests must not carry a body", { close: true });
    const r = route(target, saes.length, (s) => saes[s]!.cache.header.overview.m, training?.meta ?? null);
    if (saes.length === 0 && (r.kind === "saes" || r.kind === "table" || r.kind === "latent"))
      return sendError(req, res, 404, "no SAE is served here (cosae serve --train without SAE folders)");
    switch (r.kind) {
      case "bad-request":
        return sendError(req, res, 400, r.message);
      case "not-found":
        return sendError(req, res, 404, r.message);
      case "asset": {
        const asset = assets.get(r.url);
        return asset ? sendBody(req, res, 200, asset) : sendError(req, res, 404, `not found: ${r.url}`);
      }
      case "saes":
        return sendBody(req, res, 200, saeList);
      case "table":
        return sendBody(req, res, 200, tables[r.sae]!);
      case "latent": {
        const value = await latentResponse(saes, r.sae, r.latent);
        return sendBody(req, res, 200, await prepareJson(value, acceptsGzip(req)));
      }
      case "train-meta":
        return sendBody(req, res, 200, trainingMeta!);
      case "train-batch": {
        let x: Float32Array;
        try {
          x = await training!.batch(r.seed, r.index, r.size);
        } catch (e) {
          // the data's own problem (a non-finite row, a file gone): the page shows it
          log(`training page: ${target}: ${(e as Error).message}`);
          return sendError(req, res, 500, `reading the batch failed: ${(e as Error).message}`);
        }
        // float32 in the host's byte order: little-endian on every platform node runs cosae on
        const body = Buffer.from(x.buffer, x.byteOffset, x.byteLength);
        return sendBody(req, res, 200, { type: binaryType, body, gzipped: null });
      }
    }
  }

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e: unknown) => {
      log(`feature browser: ${req.method} ${req.url}: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) sendError(req, res, 500, "internal error (see the server's log)");
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8008, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  hostAllowed = hostHeaderCheck(host, port);
  const address = () => `${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    url: `http://${address()}/`,
    host,
    port,
    close: () => closeServer(server, saes),
  };
}

/** A body is announced by Content-Length (other than 0) or Transfer-Encoding. */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return (length !== undefined && length !== "0") || req.headers["transfer-encoding"] !== undefined;
}

async function closeServer(server: Server, saes: readonly ServedSae[]): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
  for (const s of saes) await s.cache.close();
}
