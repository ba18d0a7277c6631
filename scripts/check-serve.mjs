#!/usr/bin/env node
// CI check of a `cosae serve` command line (the README's): runs it, waits for
// "serving URL", asks the API for the SAE list and one latent of each SAE, prints
// what it got, stops the server with SIGTERM, and fails on any error or timeout.
//   node scripts/check-serve.mjs node dist/src/cli/main.js serve A B --data D
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
    const { saes } = await (await get("/api/saes")).json();
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
