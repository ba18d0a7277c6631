#!/usr/bin/env node
// Fails when an export of the package's entry point has no doc comment. API
// Extractor writes the doc model (npm run docs); its own checks cover broken
// {@link}s and types used by the API but not exported.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const folder = process.argv[2] ?? "dist/docs/model";
const file = readdirSync(folder).find((f) => f.endsWith(".api.json"));
if (!file) {
  console.error(`${folder}: no .api.json doc model; run api-extractor first`);
  process.exit(1);
}
const model = JSON.parse(readFileSync(join(folder, file), "utf8"));
const exports = model.members.flatMap((entry) => entry.members);
const undocumented = exports.filter((item) => !/\S/.test((item.docComment ?? "").replace(/[/*]/g, "")));
if (undocumented.length > 0) {
  console.error(
    `${file}: ${undocumented.length} of ${exports.length} exports have no doc comment: ` +
      undocumented.map((item) => `${item.name} (${item.kind})`).join(", "),
  );
  process.exit(1);
}
console.log(`${file}: all ${exports.length} exports of the entry point have doc comments`);
