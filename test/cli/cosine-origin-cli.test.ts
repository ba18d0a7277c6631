import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { cosae } from "../helpers/cosae-cli.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const dir = useTemporaryFolder("cosae-cosine-origin-");
const small = ["--m", "32", "--k", "4", "--steps", "10", "--batchSize", "128", "--initTokens", "256"];

test("train --cosineOf uncentred trains, saves cosine_of, and inspect and eval say where the cosine looks", () => {
  const out = join(dir(), "uncentred");
  const r = cosae("train", "--out", out, "--score", "cosine", "--cosineOf", "uncentred", ...small);
  assert.equal(r.code, 0, r.stderr);
  const cfg = JSON.parse(readFileSync(join(out, "sae", "cfg.json"), "utf8")) as Record<string, unknown>;
  assert.equal(cfg.cosine_of, "uncentred");
  assert.equal(JSON.parse(readFileSync(join(out, "run.json"), "utf8")).cosineOf, "uncentred");
  const inspect = cosae("inspect", join(out, "sae"));
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.match(inspect.stdout, /cosine score of x̃ \(uncentred\), batchtopk k=4, plain decoding/);
  const evaluated = cosae("eval", join(out, "sae"), "--evalTokens", "512");
  assert.equal(evaluated.code, 0, evaluated.stderr);
  assert.match(evaluated.stderr, /sae: cosine score of x̃ \(uncentred\)/);
});

test("uncentred inner and an unknown origin are refused at the edge, before anything is written", async () => {
  const flag = join(dir(), "inner-flag");
  const r = cosae("train", "--out", flag, "--score", "inner", "--cosineOf", "uncentred", ...small);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /option "cosineOf" \(--cosineOf\) "uncentred" applies to the cosine family only/);
  assert.match(r.stderr, /score "inner"/);
  assert.equal(existsSync(flag), false, "nothing written");
  const config = join(dir(), "bad.json");
  await writeFile(config, JSON.stringify({ score: "cosine", cosineOf: "sideways" }));
  const file = join(dir(), "bad-file");
  const bad = cosae("train", "--config", config, "--out", file, ...small);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /bad\.json/);
  assert.match(bad.stderr, /cosineOf/);
  assert.match(bad.stderr, /sideways/);
  assert.equal(existsSync(file), false, "nothing written");
});

test("compare accepts -uncentred on the cosine family and refuses it on inner", () => {
  const out = join(dir(), "compare");
  const r = cosae("compare", "--families", "inner-uncentred", "--out", out);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /family "inner-uncentred": -uncentred applies to the cosine family only/);
  assert.equal(existsSync(out), false, "nothing written");
  assert.match(cosae("compare", "--help").stdout, /<score>\[-uncentred\]\[-equivariant\]\[-equalize\]/);
});
