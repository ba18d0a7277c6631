#!/usr/bin/env node
// ‖b_dec‖ against ν for every SAE a `cosae compare` run wrote, and what it does to the
// vector the cosine looks at (issue 16 §4). On 8192 tokens of the data (the synthetic
// default, or --data PATH) it prints, per SAE:
//   ‖b_dec‖/ν      ν is the mean ‖x_c‖ at initialisation (centred) or the mean ‖x̃‖ (uncentred)
//   CV ‖v‖, CV ‖x̃‖ the spread (std/mean) of the norm of the score's vector v (x_c or x̃) and of x̃:
//                  a b_dec large against the tokens makes ‖x_c‖ nearly constant, so the
//                  cosine's denominator stops removing the norm (the score becomes inner-like)
//   cos(v, −b_dec) mean cosine of v with −b_dec over the 10% lowest-‖x̃‖ tokens (where a
//                  small token's x_c points); 0 when uncentred (v = x̃ does not contain −b_dec)
//   node scripts/decoder-bias-norms.mjs runs/origin-synth
//   node scripts/decoder-bias-norms.mjs runs/origin-stories --data runs/acts
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readSaeFolder } from "../dist/src/io/sae-folder.js";
import { openActivations, syntheticActivations } from "../dist/src/index.js";

const out = process.argv[2];
const at = process.argv.indexOf("--data");
const data = at > 0 ? process.argv[at + 1] : undefined;
if (!out || !existsSync(out)) {
  console.error("usage: node scripts/decoder-bias-norms.mjs COMPARE_OUT [--data PATH] (COMPARE_OUT: a folder `cosae compare --out` wrote)");
  process.exit(2);
}
const source = data ? await openActivations(data) : syntheticActivations();
const rows = 8192;
const x = await source.trainBatch(0, rows);
const d = source.d;

const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
const cv = (a) => {
  const m = mean(a);
  return Math.sqrt(mean(a.map((v) => (v - m) ** 2))) / m;
};

const table = [];
for (const section of readdirSync(out, { withFileTypes: true })) {
  if (!section.isDirectory()) continue;
  for (const run of readdirSync(join(out, section.name), { withFileTypes: true })) {
    const folder = join(out, section.name, run.name, "sae");
    if (!run.isDirectory() || !existsSync(join(folder, "cfg.json"))) continue;
    const { sae } = await readSaeFolder(folder);
    if (sae.config.d !== d) continue;
    const b = sae.params.bDec;
    const bNorm = Math.sqrt(b.reduce((s, v) => s + v * v, 0));
    const uncentred = sae.config.cosineOf === "uncentred";
    const plain = new Float64Array(rows);
    const seen = new Float64Array(rows);
    const towardsMinusB = new Float64Array(rows);
    for (let t = 0; t < rows; t++) {
      let xx = 0;
      let vv = 0;
      let vb = 0;
      for (let c = 0; c < d; c++) {
        const xs = x[t * d + c] / sae.constants.scale;
        const v = uncentred ? xs : xs - b[c];
        xx += xs * xs;
        vv += v * v;
        vb -= v * b[c];
      }
      plain[t] = Math.sqrt(xx);
      seen[t] = Math.sqrt(vv);
      towardsMinusB[t] = uncentred ? 0 : vb / (Math.sqrt(vv) * bNorm + 1e-30);
    }
    const order = Array.from(plain.keys()).sort((i, j) => plain[i] - plain[j]);
    const smallest = order.slice(0, rows / 10).map((t) => towardsMinusB[t]);
    table.push([
      section.name,
      run.name,
      sae.config.cosineOf,
      bNorm.toFixed(2),
      sae.constants.nu.toFixed(2),
      (bNorm / sae.constants.nu).toFixed(2),
      cv(Array.from(seen)).toFixed(3),
      cv(Array.from(plain)).toFixed(3),
      mean(smallest).toFixed(2),
    ]);
  }
}
console.log(["section", "run", "cosine of", "‖b_dec‖", "ν", "‖b_dec‖/ν", "CV ‖v‖", "CV ‖x̃‖", "cos(v, −b_dec) low 10%"].join("\t"));
for (const r of table.sort((a, b) => (a[0] + a[1]).localeCompare(b[0] + b[1], "en", { numeric: true })))
  console.log(r.join("\t"));
