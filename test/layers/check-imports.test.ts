import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

/** scripts/check-imports.mjs (docs/architecture.md's layers) on src and on planted violations. */
const repo = fileURLToPath(new URL("../../../", import.meta.url));
const script = join(repo, "scripts", "check-imports.mjs");
const folder = useTemporaryFolder("cosae-layers-");

function check(src: string): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [script, src], { encoding: "utf8", cwd: repo });
  return { status: run.status, stderr: run.stderr };
}

async function plant(files: Record<string, string>): Promise<string> {
  const src = join(folder(), `src-${Object.keys(files).length}-${Math.random().toString(36).slice(2)}`);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(src, path, ".."), { recursive: true });
    await writeFile(join(src, path), text);
  }
  return src;
}

test("the project's own imports keep the layers", () => {
  assert.equal(check(join(repo, "src")).status, 0);
});

test("an import up the layers fails, naming the file and the import", async () => {
  const src = await plant({
    "kernels/score.ts": 'import type { Sae } from "../model/sae.js";\nexport type S = Sae;\n',
    "model/sae.ts": "export interface Sae { d: number }\n",
  });
  const { status, stderr } = check(src);
  assert.equal(status, 1);
  assert.match(
    stderr,
    /kernels\/score\.ts: import "\.\.\/model\/sae\.js" \(src\/kernels .* src\/model is above it\)/,
  );
});

test("a folder cycle fails, and so does an import between folders of one layer", async () => {
  const src = await plant({
    "io/a.ts": 'import { b } from "../config/b.js";\nexport const a = b;\n',
    "config/b.ts": 'export { a } from "../io/a.js";\nexport const b = 1;\n',
  });
  const { status, stderr } = check(src);
  assert.equal(status, 1);
  assert.match(stderr, /io\/a\.ts: import "\.\.\/config\/b\.js" .*same layer/);
  assert.match(stderr, /config\/b\.ts: import "\.\.\/io\/a\.js" .*same layer/);
});

test("a folder the layers do not name fails until it is given a layer", async () => {
  const src = await plant({
    "gpu/kernels.ts": 'import { x } from "../util/x.js";\nexport const y = x;\n',
    "util/x.ts": "export const x = 1;\n",
  });
  const { status, stderr } = check(src);
  assert.equal(status, 1);
  assert.match(stderr, /gpu\/kernels\.ts: import "\.\.\/util\/x\.js" \(folder src\/gpu has no layer/);
});

test("imports down the layers and within a folder pass", async () => {
  const src = await plant({
    "model/sae.ts":
      'import { k } from "../kernels/k.js";\nimport { w } from "./w.js";\nexport const s = k + w;\n',
    "model/w.ts": "export const w = 1;\n",
    "kernels/k.ts": 'import { u } from "../util/u.js";\nexport const k = u;\n',
    "util/u.ts": "export const u = 1;\n",
  });
  assert.equal(check(src).status, 0);
});
