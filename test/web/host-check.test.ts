import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { test } from "node:test";
import { acceptsGzip } from "../../src/web/accepts-gzip.js";
import { hostHeaderCheck, isLoopbackHost } from "../../src/web/host-check.js";

test("loopback names are localhost, 127.x.y.z and ::1", () => {
  for (const host of ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "[::1]"])
    assert.ok(isLoopbackHost(host), host);
  for (const host of [
    "0.0.0.0",
    "192.168.1.2",
    "::",
    "example.com",
    "localhost.example.com",
    "127.0.0.1.nip.io",
  ])
    assert.ok(!isLoopbackHost(host), host);
});

test("a loopback server accepts only loopback Host headers with its port; one bound elsewhere accepts any", () => {
  const check = hostHeaderCheck("127.0.0.1", 8008);
  for (const ok of ["127.0.0.1:8008", "localhost:8008", "[::1]:8008", "Localhost:8008"])
    assert.ok(check(ok), ok);
  for (const bad of [
    undefined,
    "",
    "127.0.0.1",
    "127.0.0.1:8009",
    "evil.example:8008",
    "localhost:8008.evil",
    "[::1]",
  ])
    assert.ok(!check(bad), String(bad));
  // port 80: browsers leave the port out
  assert.ok(hostHeaderCheck("localhost", 80)("localhost"));
  const open = hostHeaderCheck("0.0.0.0", 8008);
  assert.ok(open("my-machine.lan:8008"));
  assert.ok(!open(undefined));
});

test("gzip is used when Accept-Encoding lists it (or *) without q=0", () => {
  const req = (value?: string) =>
    ({ headers: value === undefined ? {} : { "accept-encoding": value } }) as IncomingMessage;
  assert.ok(acceptsGzip(req("gzip")));
  assert.ok(acceptsGzip(req("br, gzip;q=0.5")));
  assert.ok(acceptsGzip(req("*")));
  assert.ok(acceptsGzip(req("GZIP")));
  assert.ok(!acceptsGzip(req()));
  assert.ok(!acceptsGzip(req("br, deflate")));
  assert.ok(!acceptsGzip(req("gzip;q=0")));
  assert.ok(!acceptsGzip(req("x-gzip-not")));
});
