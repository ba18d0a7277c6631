import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import type {
  LatentResponse,
  LatentTableResponse,
  SaeListResponse,
} from "../../src/features/latent-record.js";
import { contentSecurityPolicy } from "../../src/web/security-headers.js";
import { type FeatureServer, startFeatureServer } from "../../src/web/server.js";
import { pageScripts, webAssetFiles } from "../../src/web/web-assets.js";
import { type HandmadeSae, openHandmade, writeHandmadeCache } from "./handmade-feature-cache.js";
import { httpRequest, type Reply, rawExchange, rawStatus } from "./http-client.js";

// Made in before() itself: a root-level before() may run ahead of useTemporaryFolder's.
let folder = "";
const dir = () => folder;
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const M = 40;
let server: FeatureServer;
let port: number;
let made: HandmadeSae[];

before(async () => {
  folder = await mkdtemp(join(tmpdir(), "cosae-web-server-"));
  made = [
    await writeHandmadeCache(dir(), "first", { m: M, d: 8, seed: 1 }),
    await writeHandmadeCache(dir(), "second", { m: M, d: 8, seed: 2 }),
  ];
  server = await startFeatureServer({
    saes: [await openHandmade(made[0]!), await openHandmade(made[1]!)],
    port: 0,
  });
  port = server.port;
});

after(async () => {
  await server?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = {}) => httpRequest(port, { path, headers });
const json = (r: Reply) => JSON.parse(r.body.toString("utf8"));

function assertSecurityHeaders(r: Reply, where: string): void {
  assert.equal(r.headers["content-security-policy"], contentSecurityPolicy, where);
  assert.match(contentSecurityPolicy, /default-src 'none'; script-src 'self'; style-src 'self'/);
  assert.match(contentSecurityPolicy, /frame-ancestors 'none'/);
  assert.equal(r.headers["x-content-type-options"], "nosniff", where);
  assert.equal(r.headers["referrer-policy"], "no-referrer", where);
}

/** A refused request: the given status, a JSON error, and none of the file contents it aimed at. */
function assertRefused(r: Reply, statuses: number[], where: string): void {
  assert.ok(statuses.includes(r.status), `${where}: status ${r.status}, expected one of ${statuses}`);
  const text = r.body.toString("latin1");
  for (const secret of ['"name": "cosae"', "root:x:0:0", "COSAEFC1", "createServer", "import {", "<!doctype"])
    assert.ok(
      !text.includes(secret),
      `${where}: the body holds ${JSON.stringify(secret)}: ${text.slice(0, 200)}`,
    );
  if (r.headers["content-type"]?.startsWith("application/json"))
    assert.equal(typeof json(r).error, "string", where);
}

test("the page, every listed asset and the API are served with their types and the security headers", async () => {
  const page = await get("/");
  assert.equal(page.status, 200);
  assert.equal(page.headers["content-type"], "text/html; charset=utf-8");
  assertSecurityHeaders(page, "/");
  assert.match(page.body.toString(), /<script type="module" src="\/assets\/client\/main\.js"><\/script>/);
  for (const { url, type } of webAssetFiles) {
    const r = await get(url);
    assert.equal(r.status, 200, url);
    assert.equal(r.headers["content-type"], type, url);
    assertSecurityHeaders(r, url);
    assert.ok(r.body.length > 0, url);
  }
  const list = await get("/api/saes");
  assert.equal(list.status, 200);
  assert.equal(list.headers["content-type"], "application/json; charset=utf-8");
  assertSecurityHeaders(list, "/api/saes");
  const saes = (json(list) as SaeListResponse).saes;
  assert.deepEqual(
    saes.map((s) => [s.label, s.m, s.d]),
    [
      ["first", M, 8],
      ["second", M, 8],
    ],
  );
  // a query string is ignored, not an error
  assert.equal((await get("/?from=bookmark")).status, 200);
});

test("every script the build emits for the page is in the fixed asset list, and only those", () => {
  const built = readdirSync(join(repoRoot, "dist", "src", "web", "client"))
    .filter((f) => f.endsWith(".js"))
    .sort();
  assert.deepEqual(built, [...pageScripts].sort());
});

test("JSON is gzipped for clients that accept it and plain otherwise; HEAD sends the headers only", async () => {
  const plain = await get("/api/saes/0/latents");
  assert.equal(plain.status, 200);
  assert.equal(plain.headers["content-encoding"], undefined);
  const table = json(plain) as LatentTableResponse;
  assert.equal(table.sae, 0);
  assert.equal(table.table.frequency.length, M);
  assert.equal(table.table.topTokens.length, M);

  const zipped = await get("/api/saes/0/latents", { "Accept-Encoding": "br, gzip;q=0.8" });
  assert.equal(zipped.headers["content-encoding"], "gzip");
  assert.equal(zipped.headers.vary, "Accept-Encoding");
  assert.equal(Number(zipped.headers["content-length"]), zipped.body.length);
  assert.ok(
    zipped.body.length < plain.body.length / 2,
    `${zipped.body.length} vs ${plain.body.length} bytes`,
  );
  assert.deepEqual(gunzipSync(zipped.body), plain.body);
  // q=0 refuses gzip
  const refused = await get("/api/saes/0/latents", { "Accept-Encoding": "gzip;q=0" });
  assert.equal(refused.headers["content-encoding"], undefined);

  const latent = await get("/api/saes/1/latents/7", { "Accept-Encoding": "gzip" });
  assert.equal(latent.headers["content-encoding"], "gzip");
  assert.equal(JSON.parse(gunzipSync(latent.body).toString()).latent, 7);

  const head = await httpRequest(port, { method: "HEAD", path: "/api/saes/0/latents" });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(Number(head.headers["content-length"]), plain.body.length);
  assertSecurityHeaders(head, "HEAD");
});

function cosine(a: Float32Array, i: number, b: Float32Array, j: number, d: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let c = 0; c < d; c++) {
    dot += a[i * d + c]! * b[j * d + c]!;
    na += a[i * d + c]! ** 2;
    nb += b[j * d + c]! ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

test("a latent comes with its record, its 10 nearest latents by decoder cosine in both SAEs, and the strings of its tokens", async () => {
  const r = await get("/api/saes/1/latents/7");
  assert.equal(r.status, 200);
  assertSecurityHeaders(r, "latent");
  const latent = json(r) as LatentResponse;
  assert.equal(latent.sae, 1);
  assert.equal(latent.latent, 7);
  assert.equal(latent.top.length, 8);
  const d = 8;
  const own = made[1]!.decoder;
  const expected = Array.from({ length: M }, (_, j) => ({ latent: j, cosine: cosine(own, 7, own, j, d) }))
    .filter((n) => n.latent !== 7)
    .sort((a, b) => b.cosine - a.cosine)
    .slice(0, 10);
  assert.deepEqual(
    latent.nearest.map((n) => n.latent),
    expected.map((n) => n.latent),
  );
  for (const [i, n] of latent.nearest.entries()) assert.ok(Math.abs(n.cosine - expected[i]!.cosine) < 1e-5);
  const other = made[0]!.decoder;
  const expectedOther = Array.from({ length: M }, (_, j) => ({
    latent: j,
    cosine: cosine(own, 7, other, j, d),
  }))
    .sort((a, b) => b.cosine - a.cosine)
    .slice(0, 10);
  assert.deepEqual(
    latent.nearestOther!.map((n) => [n.sae, n.latent]),
    expectedOther.map((n) => [0, n.latent]),
  );
  const ids = new Set(
    [...latent.top, ...latent.quantiles.flatMap((b) => b.examples)].flatMap((c) => c.tokens),
  );
  assert.deepEqual(new Set(Object.keys(latent.vocab).map(Number)), ids);
  assert.ok(Object.values(latent.vocab).includes("<script>window.__pwned=1</script>"));
});

test("no request path reaches a file: traversal, encodings, backslashes, absolute paths and NUL give 400 or 404", async () => {
  const cacheFile = made[0]!.path;
  const paths = [
    "/../../etc/passwd",
    "/../package.json",
    "/assets/../../package.json",
    "/assets/../../../../../../etc/passwd",
    "/assets/..%2f..%2fpackage.json",
    "/assets/..%2F..%2F..%2Fpackage.json",
    "/assets/%2e%2e/%2e%2e/package.json",
    "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/assets/%252e%252e/package.json",
    "/assets\\..\\..\\package.json",
    "/assets/client/..\\..\\..\\..\\package.json",
    "/..%5c..%5cpackage.json",
    "//etc/passwd",
    "///etc/passwd",
    "/etc/passwd",
    `/${cacheFile}`,
    cacheFile,
    "/package.json",
    "/tsconfig.json",
    "/src/web/server.ts",
    "/src/web/client/main.ts",
    "/dist/src/web/server.js",
    "/server.js",
    "/web-assets.js",
    "/assets/server.js",
    "/assets/client/../../server.js",
    "/assets/client/main.ts",
    "/assets/client/main.js.map",
    "/assets/index.html",
    "/index.html",
    "/assets/",
    "/assets/client/",
    "/assets/client/main.js/",
    "/assets/style.css%00.js",
    "/%00",
    "/assets/client/main.js%00",
    "/api/../package.json",
    "/api/saes/0/latents/../../../../package.json",
    "/api/saes/0/latents/1/../../../../../package.json",
    "/.git/config",
    "/node_modules/playwright-core/package.json",
  ];
  for (const path of paths) assertRefused(await get(path), [400, 404], path);
  // requests node:http will not send: a raw NUL, a space, an absolute-form target
  for (const target of [
    "/\u0000",
    "/assets/style.css\u0000",
    `http://127.0.0.1:${port}/package.json`,
    "C:\\Windows\\win.ini",
    "*",
  ]) {
    const reply = await rawExchange(
      port,
      `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
    );
    const status = rawStatus(reply);
    assert.ok([400, 404].includes(status), `${JSON.stringify(target)}: ${reply.slice(0, 80)}`);
    assert.ok(!reply.includes('"name": "cosae"') && !reply.includes("root:x:0:0"), target);
  }
});

test("bad SAE and latent ids are 404 with a JSON error; only plain in-range integers are latents", async () => {
  for (const id of [
    "-1",
    "1e3",
    "1e1",
    "0x10",
    "99999999",
    "abc",
    "01",
    "+1",
    "1.0",
    String(M),
    "%201",
    "1%20",
    "",
    "NaN",
    "Infinity",
    "0b1",
  ]) {
    const r = await get(`/api/saes/0/latents/${id}`);
    assertRefused(r, [400, 404], `latent ${JSON.stringify(id)}`);
    assert.equal(r.headers["content-type"], "application/json; charset=utf-8", id);
    assert.equal(typeof json(r).error, "string");
  }
  assert.equal((await get(`/api/saes/0/latents/${M - 1}`)).status, 200);
  assert.equal((await get("/api/saes/0/latents/0")).status, 200);
  for (const path of [
    "/api/saes/2/latents",
    "/api/saes/-1/latents",
    "/api/saes/00/latents",
    "/api/saes/0",
    "/api/saes/0/latent/1",
    "/api/other",
    "/api",
  ])
    assertRefused(await get(path), [400, 404], path);
});

test("methods other than GET and HEAD are 405 with Allow; any request body is 413", async () => {
  for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"]) {
    const path = method === "CONNECT" ? "127.0.0.1:80" : "/api/saes";
    const r = await httpRequest(port, { method, path }).catch(() => null);
    if (method === "CONNECT") continue; // node hands CONNECT to a separate event: never to the handler
    assert.ok(r, method);
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.allow, "GET, HEAD", method);
  }
  const posted = await httpRequest(port, { method: "POST", path: "/api/saes", body: "x".repeat(1000) });
  assert.equal(posted.status, 405);
  // node sends a GET body only with an explicit length
  const withBody = await httpRequest(port, {
    path: "/api/saes",
    headers: { "Content-Length": "5" },
    body: "hello",
  });
  assert.equal(withBody.status, 413);
  assert.equal(withBody.headers.connection, "close");
  const chunked = await httpRequest(port, {
    path: "/api/saes",
    headers: { "Transfer-Encoding": "chunked" },
    body: "hello",
  });
  assert.equal(chunked.status, 413);
  // an empty body is no body
  assert.equal(
    (await httpRequest(port, { path: "/api/saes", headers: { "Content-Length": "0" } })).status,
    200,
  );
});

test("a URL over 2 KB is 414, headers over 16 KB are 431", async () => {
  const long = await get(`/api/saes/0/latents/${"1".repeat(3000)}`);
  assert.equal(long.status, 414);
  assert.equal((await get(`/?${"q".repeat(4000)}`)).status, 414);
  const huge = await rawExchange(
    port,
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Filler: ${"y".repeat(20_000)}\r\nConnection: close\r\n\r\n`,
  );
  assert.equal(rawStatus(huge), 431, huge.slice(0, 80));
  // many small headers add up the same way
  const many = Array.from({ length: 400 }, (_, i) => `X-H${i}: ${"z".repeat(50)}\r\n`).join("");
  const crowded = await rawExchange(
    port,
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${many}Connection: close\r\n\r\n`,
  );
  assert.equal(rawStatus(crowded), 431);
});

test("only loopback Host names with the server's port are answered (DNS rebinding), others get 421", async () => {
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`])
    assert.equal((await get("/api/saes", { Host: host })).status, 200, host);
  for (const host of [
    `evil.example:${port}`,
    "evil.example",
    `127.0.0.1:${port + 1}`,
    "127.0.0.1",
    "localhost",
    `localhost.evil.example:${port}`,
    `127.0.0.1.nip.io:${port}`,
    `0.0.0.0:${port}`,
    `127.0.0.1:${port}@evil.example`,
  ]) {
    const r = await get("/api/saes", { Host: host });
    assert.equal(r.status, 421, host);
    assert.ok(!r.body.toString().includes('"saes"'), host);
  }
  // HTTP/1.1 without Host is refused by node itself; HTTP/1.0 without Host by the check
  assert.equal(
    rawStatus(await rawExchange(port, "GET /api/saes HTTP/1.1\r\nConnection: close\r\n\r\n")),
    400,
  );
  assert.equal(rawStatus(await rawExchange(port, "GET /api/saes HTTP/1.0\r\n\r\n")), 421);
});

test("the package file and the cache file really exist, so the refusals above are not vacuous", () => {
  assert.ok(readFileSync(join(repoRoot, "package.json"), "utf8").includes('"name": "cosae"'));
  assert.ok(readFileSync(made[0]!.path).subarray(0, 8).toString("latin1") === "COSAEFC1");
});
