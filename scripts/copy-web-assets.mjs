#!/usr/bin/env node
// Copies the feature browser's HTML and CSS (src/web/assets) next to the
// compiled server (dist/src/web/assets), where `cosae serve` reads them.
import { cpSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const from = join(root, "src", "web", "assets");
const to = join(root, "dist", "src", "web", "assets");
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
console.log(`web assets: copied ${from} to ${to}`);
