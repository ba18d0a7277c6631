#!/usr/bin/env node
// CI check of a `cosae serve` command line (the README's): runs it, waits for
// "serving URL", asks the API for the SAE list and one latent of each SAE (with
// --train: the training page, its data and one batch), prints what it got, stops
// the server with SIGTERM, and fails on any error or timeout.
//   node scripts/check-serve.mjs node dist/src/cli/main.js serve A B --data D
//   node scripts/check-serve.mjs node dist/src/cli/main.js serve --train --data D
import { spawn } from "node:child_process";

const [command, ...args] = process.argv.slice(2);
if (!command) throw new Error("usage: check-serve.mjs COMMAND ARGS... (a cosae serve command line)");
const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
const fail = (why) => {
  console.error(`check-serve: ${why}`);
  child.kill("SIGTERM");
  process.exit(1);
};
const timer = setTimeout(() => fail("no 'serving' line within 10 minutes"), 600_000);
child.on("exit", (code) => fail(`the server exited (code ${code}) before the check ended`));

let out = "";
let started = false;
child.stdout.setEncoding("utf8");
child.stdout.on("data", async (chunk) => {
  process.stdout.write(chunk);
  out += chunk;
  const url = /serving (http:\/\/\S+)/.exec(out)?.[1];
  if (!url || started) return;
  started = true;
  clearTimeout(timer);
  try {
    const get = async (path) => {
      const r = await fetch(new URL(path, url));
      if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status}`);
      return r;
    };
    if (!(await (await get("/")).text()).includes("<script")) throw new Error("GET /: no page");
    if (args.includes("--train")) {
      if (!(await (await get("/train")).text()).includes("<script")) throw new Error("GET /train: no page");
      const meta = await (await get("/api/train/meta")).json();
      const rows = Math.min(64, meta.maxBatchRows);
      const batch = new Float32Array(await (await get(`/api/train/batch?index=0&size=${rows}&seed=0`)).arrayBuffer());
      if (batch.length !== rows * meta.d) throw new Error(`batch 0: ${batch.length} floats, expected ${rows} × ${meta.d}`);
      console.log(`check-serve: training page on ${meta.dataset}; batch 0 of ${rows} rows read`);
    }
    // serve --train without SAE folders serves no SAE list
    const trainingOnly = args.includes("--train") && (await fetch(new URL("/api/saes", url))).status === 404;
    const { saes } = trainingOnly ? { saes: [] } : await (await get("/api/saes")).json();
    for (const [i, sae] of saes.entries()) {
      const latent = await (await get(`/api/saes/${i}/latents/0`)).json();
      console.log(
        `check-serve: ${sae.label} (${sae.score}, m ${sae.m}, ${sae.tokens} tokens, FVU ${sae.measures.fvu}): ` +
          `latent 0 has ${latent.top.length} top contexts, ${latent.nearest.length} neighbours`,
      );
    }
    child.removeAllListeners("exit");
    child.on("exit", (code) => process.exit(code ?? 1));
    child.kill("SIGTERM");
  } catch (e) {
    fail(e.message);
  }
});
