#!/usr/bin/env node
// The layering rule of docs/architecture.md: a folder of src/ imports only from
// folders below it, so the arrows between folders run one way and no folder
// cycle can form. Reads every `from "../x/…"` of src/**/*.ts(x); fails naming the
// file and the import that goes up, or the folder unknown to the table.
// Usage: node scripts/check-imports.mjs [srcFolder]
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/** The layers of src/, bottom first: a folder imports only from folders on rows above it here (never its own row). */
export const layers = [
  ["util"],
  ["kernels"],
  ["model"],
  ["io", "config"],
  ["transformer", "concepts"],
  ["data"],
  ["evaluation", "training"],
  ["features", "compare"],
  ["report", "api", "web"],
  ["cli", "."],
];

/** folder → its layer's index */
function rankOf(folder) {
  const i = layers.findIndex((row) => row.includes(folder));
  return i < 0 ? null : i;
}

function* tsFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* tsFiles(path);
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) yield path;
  }
}

/** The folder (first path segment under src) of a file, "." for src's own files. */
function folderOf(srcRoot, path) {
  const parts = relative(srcRoot, path).split(/[\\/]/);
  return parts.length > 1 ? parts[0] : ".";
}

const importPattern = /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.[^"]+)"|import\(\s*"(\.[^"]+)"\s*\)/g;

/** Every violation of the rule under srcRoot, as "file: import … (why)" lines. */
export function checkImports(srcRoot) {
  const problems = [];
  for (const file of tsFiles(srcRoot)) {
    const from = folderOf(srcRoot, file);
    const fromRank = rankOf(from);
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(importPattern)) {
      const spec = match[1] ?? match[2];
      const target = join(file, "..", spec);
      if (relative(srcRoot, target).startsWith("..")) continue;
      const to = folderOf(srcRoot, target);
      if (to === from) continue;
      const toRank = rankOf(to);
      const where = `${relative(process.cwd(), file)}: import "${spec}"`;
      if (fromRank === null) problems.push(`${where} (folder src/${from} has no layer in scripts/check-imports.mjs)`);
      else if (toRank === null) problems.push(`${where} (folder src/${to} has no layer in scripts/check-imports.mjs)`);
      else if (toRank >= fromRank)
        problems.push(
          `${where} (src/${from} may import only from layers below it; src/${to} is ${toRank === fromRank ? "on the same layer" : "above it"})`,
        );
    }
  }
  return problems;
}

const invoked = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invoked) {
  const srcRoot = process.argv[2] ?? "src";
  const problems = checkImports(srcRoot);
  if (problems.length > 0) {
    console.error(`${problems.length} import(s) break the layering of docs/architecture.md:`);
    for (const p of problems) console.error(`  ${p}`);
    console.error("Move the shared code down a layer (see docs/architecture.md), or import it from below.");
    process.exit(1);
  }
  console.log(`imports: every arrow between the folders of ${srcRoot} runs down the layers`);
}
