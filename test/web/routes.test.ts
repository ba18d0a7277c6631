import assert from "node:assert/strict";
import { test } from "node:test";
import { route } from "../../src/web/routes.js";
import { parseStrictIndex } from "../../src/web/strict-index.js";

test("an index is plain decimal digits below the bound, nothing else", () => {
  assert.equal(parseStrictIndex("0", 5), 0);
  assert.equal(parseStrictIndex("4", 5), 4);
  assert.equal(parseStrictIndex("16383", 16384), 16383);
  for (const bad of [
    "5",
    "-1",
    "01",
    "+1",
    "1e0",
    "0x1",
    "1.0",
    " 1",
    "1 ",
    "",
    "NaN",
    "Infinity",
    "١",
    "99999999999999999999",
  ])
    assert.equal(parseStrictIndex(bad, 5), null, JSON.stringify(bad));
});

test("paths map to routes exactly; anything unusual is a bad request before it is looked at", () => {
  const m = (s: number) => (s === 0 ? 100 : 50);
  assert.deepEqual(route("/", 2, m), { kind: "asset", url: "/" });
  assert.deepEqual(route("/?x=1", 2, m), { kind: "asset", url: "/" });
  assert.deepEqual(route("/assets/style.css", 2, m), { kind: "asset", url: "/assets/style.css" });
  assert.deepEqual(route("/api/saes", 2, m), { kind: "saes" });
  assert.deepEqual(route("/api/saes/1/latents", 2, m), { kind: "table", sae: 1 });
  assert.deepEqual(route("/api/saes/0/latents/99", 2, m), { kind: "latent", sae: 0, latent: 99 });
  assert.equal(route("/api/saes/1/latents/50", 2, m).kind, "not-found");
  assert.equal(route("/api/saes/2/latents", 2, m).kind, "not-found");
  for (const path of [
    "/api/saes/",
    "/api/saes/0",
    "/api/saes/0/",
    "/api/saes/0/latents/",
    "/api/saes/0/x/1",
    "/api/x",
    "/api/saes/0/latents/1/2",
  ])
    assert.equal(route(path, 2, m).kind, "not-found", path);
  for (const path of ["/a%2e", "/a\\b", "/a\u0000", "/a b", "http://x/", "*", "", "/é", "/a;b", "/a:b", "/~"])
    assert.equal(route(path, 2, m).kind, "bad-request", JSON.stringify(path));
});

test("the training routes exist only with a training source, and the batch query is read strictly", () => {
  const m = () => 10;
  const training = { maxBatchRows: 100 };
  for (const path of ["/api/train/meta", "/api/train/batch?index=0&size=1&seed=0"])
    assert.equal(route(path, 1, m).kind, "not-found", path);
  assert.deepEqual(route("/api/train/meta", 0, m, training), { kind: "train-meta" });
  assert.deepEqual(route("/api/train/batch?seed=7&index=3&size=100", 0, m, training), {
    kind: "train-batch",
    seed: 7,
    index: 3,
    size: 100,
  });
  for (const query of [
    "",
    "?index=0&size=101&seed=0",
    "?index=0&size=1",
    "?index=0&size=1&seed=0&",
    "?size=1&index=0&seed=1.5",
  ])
    assert.equal(route(`/api/train/batch${query}`, 0, m, training).kind, "bad-request", query);
  assert.equal(route("/api/train/batch/0", 0, m, training).kind, "not-found");
});
