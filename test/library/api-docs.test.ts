/**
 * `npm run docs`: the API reference builds from the doc comments, and the
 * check fails on an undocumented export, a broken {@link}, or a type the API
 * uses but does not export.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const dir = useTemporaryFolder("cosae-docs-");
const apiExtractor = join(root, "node_modules", "@microsoft", "api-extractor", "bin", "api-extractor");

test("npm run docs writes a page for every export of the entry point", () => {
  execFileSync("npm", ["run", "docs"], { cwd: root, stdio: "pipe" });
  const index = readFileSync(join(root, "dist", "docs", "api", "cosae.md"), "utf8");
  for (const name of ["trainSae", "arraySource", "encode", "loadSae", "openKernels", "compareFamilies"]) {
    assert.match(index, new RegExp(`\\[${name}\\(`), `the index lists ${name}`);
    assert.ok(existsSync(join(root, "dist", "docs", "api", `cosae.${name.toLowerCase()}.md`)));
  }
});

/** Runs the docs check of `npm run docs` on a package whose entry declares `dts`. */
async function checkDocs(name: string, dts: string): Promise<{ status: number | null; output: string }> {
  const folder = join(dir(), name);
  await mkdir(join(folder, "dist", "src"), { recursive: true });
  await mkdir(join(folder, "node_modules"));
  await symlink(join(root, "node_modules", "@types"), join(folder, "node_modules", "@types"), "dir");
  await writeFile(join(folder, "package.json"), JSON.stringify({ name, version: "1.0.0" }));
  await writeFile(join(folder, "api-extractor.json"), readFileSync(join(root, "api-extractor.json")));
  await writeFile(join(folder, "dist", "src", "index.d.ts"), dts);
  const extract = spawnSync("node", [apiExtractor, "run", "--local", "--config", "api-extractor.json"], {
    cwd: folder,
    encoding: "utf8",
  });
  if (extract.status !== 0) return { status: extract.status, output: extract.stdout + extract.stderr };
  const check = spawnSync("node", [join(root, "scripts", "check-api-docs.mjs")], {
    cwd: folder,
    encoding: "utf8",
  });
  return { status: check.status, output: check.stdout + check.stderr };
}

test("the docs check passes a documented API and fails on each kind of gap", async () => {
  const ok = await checkDocs(
    "fine",
    "/** Adds one. See {@link two}. */\nexport declare function one(x: number): number;\n/** Two. */\nexport declare const two = 2;\n",
  );
  assert.equal(ok.status, 0, ok.output);
  const undocumented = await checkDocs(
    "bare",
    "/** Documented. */\nexport declare const a = 1;\nexport declare const b = 2;\n",
  );
  assert.notEqual(undocumented.status, 0);
  assert.match(undocumented.output, /1 of 2 exports have no doc comment: b \(Variable\)/);
  const broken = await checkDocs("broken", "/** See {@link nowhere}. */\nexport declare const a = 1;\n");
  assert.notEqual(broken.status, 0);
  assert.match(broken.output, /ae-unresolved-link/);
  const hidden = await checkDocs(
    "hidden",
    "/** Internal. */\ninterface Hidden { x: number }\n/** Uses it. */\nexport declare function f(): Hidden;\nexport {};\n",
  );
  assert.notEqual(hidden.status, 0);
  assert.match(hidden.output, /ae-forgotten-export/);
});
