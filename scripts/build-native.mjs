#!/usr/bin/env node
// Builds the optional native kernels (native/binding.gyp: C++ and OpenBLAS) with
// node-gyp. Never fails the build: without a compiler, OpenBLAS or Node's
// headers it says why and removes any stale addon, and cosae uses onnxruntime.
// COSAE_NATIVE=0 skips the build.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const native = join(root, "native");
const addon = join(native, "build", "Release", "cosae_native.node");

function nodeGyp() {
  // npm sets npm_config_node_gyp for scripts; otherwise the copy bundled with npm, or a local install.
  const candidates = [
    process.env.npm_config_node_gyp,
    join(root, "node_modules", "node-gyp", "bin", "node-gyp.js"),
    join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  ];
  return candidates.find((c) => c && existsSync(c)) ?? null;
}

function report(message) {
  console.log(`native kernels: ${message}`);
}

if (process.env.COSAE_NATIVE === "0") {
  report("skipped (COSAE_NATIVE=0); training uses onnxruntime");
  process.exit(0);
}
const gyp = nodeGyp();
if (!gyp) {
  report("node-gyp not found; training uses onnxruntime");
  process.exit(0);
}
// Reconfigure only when there is no Makefile yet; make rebuilds what changed.
const configured = existsSync(join(native, "build", "Makefile"));
const args = [gyp, configured ? "build" : "rebuild", "--directory", native, "--loglevel", "warn"];
// Outside npm, point node-gyp at this Node's own headers when they are installed (no download).
const prefix = join(dirname(process.execPath), "..");
if (!process.env.npm_config_nodedir && existsSync(join(prefix, "include", "node", "node_api.h")))
  args.push(`--nodedir=${prefix}`);
const run = spawnSync(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
if (run.status === 0 && existsSync(addon)) {
  report(`built ${addon}`);
} else {
  rmSync(addon, { force: true });
  const why = `${run.stderr ?? ""}${run.stdout ?? ""}`.trim().split("\n").slice(-12).join("\n");
  report(`build failed, training uses onnxruntime (needs g++, make and libopenblas-dev):\n${why}`);
}
