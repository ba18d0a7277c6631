#!/usr/bin/env node
// Proof for issue 15 ("behaviour does not change, bit for bit"): trains 4 steps for every
// score × activation × decode × reweight (AuxK on), plus AuxK off, clipping and mean b_dec
// cases, on both kernel sets, through the built CLI of the tree it is pointed at, and writes
// one SHA-256 per case of the SAE weights, the checkpoint's training state (Adam moments,
// dead-latent counters) and the metrics without the timing field. Run it on the tree before
// and after a change and diff the two JSON files.
//
//   node scripts/check-unchanged.mjs --tree /work/main --out before.json
//   node scripts/check-unchanged.mjs --tree . --out after.json
//   node scripts/check-unchanged.mjs --diff before.json after.json   (exit 1 on any difference)
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = process.argv[at + 1];
  if (value === undefined) throw new Error(`check-unchanged: option --${name} needs a value`);
  return value;
}

const diff = process.argv.indexOf("--diff");
if (diff >= 0) {
  const [before, after] = [process.argv[diff + 1], process.argv[diff + 2]].map(
    (file) => JSON.parse(readFileSync(file, "utf8")).results,
  );
  let same = 0;
  const differ = [];
  for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const fields = ["weights", "trainingState", "metrics"].filter((f) => before[name]?.[f] !== after[name]?.[f]);
    if (fields.length === 0) same++;
    else differ.push(`${name}: ${fields.join(", ")} differ`);
  }
  for (const line of differ) console.log(line);
  console.log(`${same} cases byte-identical, ${differ.length} differ`);
  process.exit(differ.length === 0 ? 0 : 1);
}

const tree = resolve(option("tree", "."));
const out = option("out", "check-unchanged.json");
const cli = join(tree, "dist/src/cli/main.js");
// Small enough to be quick, sparse enough (m/k large, deadTokens small) that latents die
// within 4 steps, so AuxK's terms reach the weights.
const base = ["--steps", "4", "--m", "256", "--k", "2", "--batchSize", "64", "--initTokens", "512"];
base.push("--deadTokens", "32", "--seed", "7", "--logEvery", "1");

const scores = ["inner", "cosine", "blend", "blend-feature"];
const cases = [];
for (const score of scores)
  for (const activation of ["batchtopk", "topk"])
    for (const decode of ["plain", "equivariant"])
      for (const reweight of ["none", "equalize"])
        cases.push({ score, activation, decode, reweight });
for (const score of scores) cases.push({ score, activation: "batchtopk", decode: "plain", reweight: "none", auxkCoef: "0" });
cases.push({ score: "cosine", activation: "batchtopk", decode: "plain", reweight: "none", clipGradNorm: "1" });
cases.push({ score: "blend", activation: "topk", decode: "plain", reweight: "none", bDecInit: "mean" });

const sha = (bytes) => createHash("sha256").update(bytes).digest("hex");
const work = mkdtempSync(join(tmpdir(), "check-unchanged-"));
const results = {};
try {
  for (const kernels of ["native", "onnxruntime"]) {
    for (const c of cases) {
      const flags = Object.entries(c).flatMap(([key, value]) => [`--${key}`, value]);
      const name = `${kernels} ${Object.entries(c)
        .map(([key, value]) => (key === "score" || key === "activation" || key === "decode" ? value : `${key}=${value}`))
        .join(" ")}`;
      const dir = join(work, `run-${Object.keys(results).length}`);
      const env = { ...process.env };
      if (kernels === "onnxruntime") env.COSAE_KERNELS = "onnxruntime";
      else delete env.COSAE_KERNELS;
      execFileSync(process.execPath, [cli, "train", "--out", dir, ...base, ...flags], {
        env,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      const metrics = readFileSync(join(dir, "metrics.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((line) => {
          const { tokensPerSecond, ...rest } = JSON.parse(line);
          return JSON.stringify(rest);
        });
      const last = JSON.parse(metrics.at(-1));
      results[name] = {
        weights: sha(readFileSync(join(dir, "sae/sae_weights.safetensors"))),
        trainingState: sha(readFileSync(join(dir, "checkpoints/step-00000004/training_state.safetensors"))),
        metrics: sha(metrics.join("\n")),
        loss: last.loss,
        auxLoss: last.auxLoss,
      };
      process.stderr.write(`${name}: ${results[name].weights.slice(0, 16)} loss ${last.loss} aux ${last.auxLoss}\n`);
      rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
writeFileSync(out, `${JSON.stringify({ tree, cases: Object.keys(results).length, results }, null, 2)}\n`);
console.log(`wrote ${out}: ${Object.keys(results).length} cases`);
