#!/usr/bin/env node
// ‖b_dec‖ against ν for every SAE a `cosae compare` run wrote (issue 16 §4: does the
// cosine push b_dec past the typical token norm?). ν is the mean ‖x_c‖ at
// initialisation for centred SAEs and the mean ‖x̃‖ for uncentred ones (cfg.json
// `cosine_of`), both in scaled units like b_dec.
//   node scripts/decoder-bias-norms.mjs runs/origin-synth
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readSaeFolder } from "../dist/src/io/sae-folder.js";

const out = process.argv[2];
if (!out || !existsSync(out)) {
  console.error("usage: node scripts/decoder-bias-norms.mjs COMPARE_OUT (a folder `cosae compare --out` wrote)");
  process.exit(2);
}
const rows = [];
for (const section of readdirSync(out, { withFileTypes: true })) {
  if (!section.isDirectory()) continue;
  for (const run of readdirSync(join(out, section.name), { withFileTypes: true })) {
    const sae = join(out, section.name, run.name, "sae");
    if (!run.isDirectory() || !existsSync(join(sae, "cfg.json"))) continue;
    const { sae: s } = await readSaeFolder(sae);
    const norm = Math.sqrt(s.params.bDec.reduce((a, v) => a + v * v, 0));
    rows.push([section.name, run.name, s.config.cosineOf, norm.toFixed(2), s.constants.nu.toFixed(2), (norm / s.constants.nu).toFixed(2)]);
  }
}
console.log(["section", "run", "cosine of", "‖b_dec‖", "ν", "‖b_dec‖/ν"].join("\t"));
for (const r of rows.sort((a, b) => (a[0] + a[1]).localeCompare(b[0] + b[1], "en", { numeric: true })))
  console.log(r.join("\t"));
