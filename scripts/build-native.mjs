#!/usr/bin/env node
// Builds the native kernels (native/binding.gyp: C++) with node-gyp, with
// OpenBLAS's sgemm for the score product when cblas.h and libopenblas are here,
// else with cosae's own (native/gemm.cc); COSAE_BLAS=0 forces the own one.
// It always says which product it built, and what a missing part costs. Outside
// CI a failed build removes any stale addon and the build goes on (training then
// uses onnxruntime + TypeScript kernels); under CI=true a failed build or one
// without OpenBLAS exits non-zero, so CI never passes with parts left out.
// COSAE_NATIVE=0 skips the build (an error under CI).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const native = join(root, "native");
const build = join(native, "build");
const addon = join(build, "Release", "cosae_native.node");
const productStamp = join(build, "cosae-gemm.txt");
const ci = process.env.CI === "true" || process.env.CI === "1";
const install = "apt-get install libopenblas-dev";
// The figures behind the slowdowns quoted here and in `cosae`'s first line (src/kernels/kernels-description.ts).
const speed = JSON.parse(readFileSync(join(root, "src", "kernels", "measured-speed.json"), "utf8"));
const measured = `measured at ${speed.shape}`;

function report(message) {
  console.log(`native kernels: ${message}`);
}

/** Outside CI: say so and go on. Under CI: say so and fail. */
function partLeftOut(message) {
  if (!ci) return report(message);
  console.error(`native kernels: ${message}\nnative kernels: CI=true, so the build fails: CI must not pass with parts left out.`);
  process.exit(1);
}

function nodeGyp() {
  // npm sets npm_config_node_gyp for scripts; otherwise the copy bundled with npm, or a local install.
  const candidates = [
    process.env.npm_config_node_gyp,
    join(root, "node_modules", "node-gyp", "bin", "node-gyp.js"),
    join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  ];
  return candidates.find((c) => c && existsSync(c)) ?? null;
}

const compiler = process.env.CXX || "c++";

/** Whether a program calling cblas_sgemm compiles and links against libopenblas with this compiler. */
function openblasLinks() {
  const program = "#include <cblas.h>\nint main() { float a = 1, b = 1, c = 0; cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1); return 0; }\n";
  const out = join(build, "openblas-check");
  const run = spawnSync(compiler, ["-x", "c++", "-", "-o", out, "-lopenblas"], { input: program, encoding: "utf8" });
  rmSync(out, { force: true });
  return run.status === 0;
}

const fallback = `training uses onnxruntime + TypeScript kernels, ${speed.comparedWithOpenblas.onnxruntime} (${measured})`;
if (process.env.COSAE_NATIVE === "0") {
  partLeftOut(`skipped (COSAE_NATIVE=0); ${fallback}`);
  process.exit(0);
}
const gyp = nodeGyp();
if (!gyp) {
  rmSync(addon, { force: true });
  partLeftOut(`node-gyp not found; ${fallback}`);
  process.exit(0);
}
if (spawnSync(compiler, ["--version"], { encoding: "utf8" }).status !== 0) {
  rmSync(addon, { force: true });
  partLeftOut(`no C++ compiler (${compiler}); ${fallback}. To build them: apt-get install g++ make, then npm run build`);
  process.exit(0);
}
mkdirSync(build, { recursive: true });
const forcedOwn = process.env.COSAE_BLAS === "0";
const product = !forcedOwn && openblasLinks() ? "openblas" : "cosae";
// Reconfigure when there is no Makefile yet or the product changed; make rebuilds what changed.
const configured =
  existsSync(join(build, "Makefile")) && existsSync(productStamp) && readFileSync(productStamp, "utf8") === product;
const args = [gyp, configured ? "build" : "rebuild", "--directory", native, "--loglevel", "warn"];
// Outside npm, point node-gyp at this Node's own headers when they are installed (no download).
const prefix = join(dirname(process.execPath), "..");
if (!process.env.npm_config_nodedir && existsSync(join(prefix, "include", "node", "node_api.h")))
  args.push(`--nodedir=${prefix}`);
const run = spawnSync(process.execPath, args, {
  stdio: ["ignore", "pipe", "pipe"],
  encoding: "utf8",
  env: { ...process.env, COSAE_GEMM: product },
});
if (run.status !== 0 || !existsSync(addon)) {
  rmSync(addon, { force: true });
  rmSync(productStamp, { force: true });
  const why = `${run.stderr ?? ""}${run.stdout ?? ""}`.trim().split("\n").slice(-12).join("\n");
  partLeftOut(`build failed; ${fallback}:\n${why}`);
  process.exit(0);
}
writeFileSync(productStamp, product);
if (product === "openblas") {
  report(`built ${addon} with OpenBLAS's sgemm`);
} else if (forcedOwn) {
  report(`built ${addon} with cosae's own sgemm (COSAE_BLAS=0)`);
} else {
  partLeftOut(
    `built ${addon} with cosae's own sgemm: OpenBLAS was not found (cblas.h and libopenblas), ` +
      `training is ${speed.comparedWithOpenblas.cosae}, ${measured}. For OpenBLAS: ${install}, then npm run build`,
  );
}
