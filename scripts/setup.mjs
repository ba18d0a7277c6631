#!/usr/bin/env node
// The one set-up step: `npm test`, `npm run demo` (and the other npm scripts that build)
// and .ci/run call it before the build, so a bare Debian machine needs nothing by hand.
// - Debian packages: libopenblas-dev (the native kernels' product), libvulkan1 (the Vulkan
//   loader Dawn opens for the webgpu kernels, on a GPU or on SwiftShader) and python3-numpy (a
//   test runs an exported SAE's NumPy reference code). As root with apt-get it installs
//   the missing ones; otherwise it prints the exact command and goes on without them.
// - Chromium for the feature browser's tests: the build inside the pinned npm package
//   @sparticuz/chromium, unpacked once into node_modules/.cache/cosae/ with the libraries
//   it carries (it then needs only libc6 and libgcc-s1 from the system); a system library
//   it still cannot find goes into the same apt-get run (or printed command).
// Fast when all is there: a few file checks and one python3 start, no network.
// Under CI=true a part still missing afterwards fails the step.
// For trying the other paths without changing the machine:
//   COSAE_SETUP_MISSING=libopenblas-dev,python3-numpy,chromium  treat these as missing (also a
//                       library file name, e.g. libgcc_s.so.1: as if Chromium could not find it)
//   COSAE_SETUP_AS_USER=1                                       act as if not root
//   COSAE_SETUP_DRY_RUN=1                                       print apt-get commands, run none
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const env = process.env;
const pretendMissing = new Set((env.COSAE_SETUP_MISSING ?? "").split(",").filter(Boolean));
const asRoot = process.getuid?.() === 0 && env.COSAE_SETUP_AS_USER !== "1";
const dryRun = env.COSAE_SETUP_DRY_RUN === "1";
const ci = env.CI === "true";

function say(message) {
  console.log(`set-up: ${message}`);
}

// ---- Debian packages --------------------------------------------------------------

const multiarch = { x64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu" }[process.arch] ?? "";
const debianParts = [
  {
    name: "libopenblas-dev",
    without: "the native kernels build without OpenBLAS (the build's line says what they use)",
    present: () =>
      existsSync("/usr/include/cblas.h") || existsSync(join("/usr/include", multiarch, "cblas.h")),
  },
  {
    name: "libvulkan1",
    without: "the webgpu kernels find no Vulkan loader, so no adapter (not even SwiftShader): their tests fail",
    present: () => existsSync(join("/usr/lib", multiarch, "libvulkan.so.1")),
  },
  {
    name: "python3-numpy",
    without: "the test of the exported SAE's NumPy reference code skips",
    present: () => spawnSync("python3", ["-c", "import numpy"], { stdio: "ignore" }).status === 0,
  },
];

function isPresent(part) {
  return !pretendMissing.has(part.name) && part.present();
}

function hasCommand(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

function aptInstall(names) {
  const commands = [
    ["apt-get", "update", "-qq"],
    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", ...names],
  ];
  const started = Date.now();
  for (const command of commands) {
    if (dryRun) {
      say(`would run: DEBIAN_FRONTEND=noninteractive ${command.join(" ")}`);
      continue;
    }
    const run = spawnSync(command[0], command.slice(1), {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (run.status !== 0) {
      say(`"${command.join(" ")}" failed (exit ${run.status ?? run.signal})`);
      return false;
    }
  }
  if (!dryRun) say(`installed ${names.join(" ")} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return true;
}

function setUpDebianPackages(parts) {
  const missing = parts.filter((part) => !isPresent(part));
  if (missing.length === 0) return [];
  const names = missing.map((part) => part.name);
  const apt = hasCommand("apt-get");
  if (apt && asRoot) {
    say(`installing ${names.join(" ")} with apt-get`);
    if (aptInstall(names) && !dryRun) {
      const still = missing.filter((part) => !part.present());
      if (still.length === 0) return [];
      missing.splice(0, missing.length, ...still);
    }
  }
  const command = `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${names.join(" ")}`;
  say(
    apt
      ? `missing ${names.join(", ")}; install with: ${command}`
      : `missing the Debian packages ${names.join(", ")} (no apt-get here: install their equivalents)`,
  );
  for (const part of missing) say(`  without ${part.name}, ${part.without}`);
  return missing.map((part) => part.name);
}

// ---- Chromium -----------------------------------------------------------------------

const chromiumPackage = join(root, "node_modules", "@sparticuz", "chromium");
const cacheRoot = join(root, "node_modules", ".cache", "cosae");
/** Read by test/helpers/chromium-browser.ts: where the unpacked browser is and the environment it needs. */
const manifestPath = join(cacheRoot, "chromium.json");

/** Libraries the unpacked binary cannot resolve (ldd's "not found"), with the package's own on the path. */
function unresolvedLibraries(executablePath, libraryPath) {
  const ldd = spawnSync("ldd", [executablePath], {
    encoding: "utf8",
    env: { ...env, LD_LIBRARY_PATH: libraryPath },
  });
  const pretended = [...pretendMissing].filter((name) => name.includes(".so"));
  if (ldd.error) return pretended; // no ldd: the launch itself will tell
  return [...ldd.stdout.matchAll(/^\s*(\S+) => not found/gm)].map((m) => m[1]).concat(pretended);
}

/** Debian packages of the libraries the unpacked binary links that it does not carry (ldd on Debian 12). */
const libraryPackages = {
  "libc.so.6": "libc6",
  "libm.so.6": "libc6",
  "libdl.so.2": "libc6",
  "libpthread.so.0": "libc6",
  "libgcc_s.so.1": "libgcc-s1",
  "libnss3.so": "libnss3",
  "libnssutil3.so": "libnss3",
  "libnspr4.so": "libnspr4",
  "libplc4.so": "libnspr4",
  "libplds4.so": "libnspr4",
  "libexpat.so.1": "libexpat1",
};

/** Unpacks the browser when needed; null when it is ready (or cannot be), else what finishing it needs. */
async function unpackChromium() {
  if (!existsSync(join(chromiumPackage, "package.json"))) {
    say(`Chromium: ${chromiumPackage} is missing; run "npm ci" (the browser tests skip without it)`);
    return { ready: false };
  }
  const { version } = JSON.parse(readFileSync(join(chromiumPackage, "package.json"), "utf8"));
  const folder = join(cacheRoot, `chromium-${version}`);
  const complete = join(folder, ".complete");
  const executablePath = join(folder, "chromium");
  const libraryPath = join(folder, "al2023", "lib");
  const chromium = { ready: false, version, folder, complete, executablePath, libraryPath };
  if (existsSync(complete) && existsSync(manifestPath) && !pretendMissing.has("chromium"))
    return { ...chromium, ready: true };

  const started = Date.now();
  rmSync(cacheRoot, { recursive: true, force: true }); // older versions too
  mkdirSync(folder, { recursive: true });
  // The package unpacks into os.tmpdir(), which follows TMPDIR: point it at our own folder,
  // per checkout and per version, instead of a shared /tmp/chromium.
  const tmpdirBefore = env.TMPDIR;
  env.TMPDIR = folder;
  try {
    const { inflate } = await import(pathToFileURL(join(chromiumPackage, "build", "esm", "lambdafs.js")).href);
    const bin = join(chromiumPackage, "bin");
    // chromium.br: the headless shell; swiftshader: its GL libraries, beside it;
    // al2023: NSS, NSPR and expat, which it links (built for Amazon Linux, they run on Debian 12)
    await Promise.all(
      ["chromium.br", "fonts.tar.br", "swiftshader.tar.br", "al2023.tar.br"].map((f) => inflate(join(bin, f))),
    );
  } finally {
    if (tmpdirBefore === undefined) delete env.TMPDIR;
    else env.TMPDIR = tmpdirBefore;
  }
  // The package's fonts.conf names /tmp/fonts; ours names the unpacked fonts and the system's.
  writeFileSync(
    join(folder, "fonts.conf"),
    `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
      `  <dir>${join(folder, "fonts", "fonts")}</dir>\n  <dir>/usr/share/fonts</dir>\n` +
      `  <cachedir>${join(folder, "fonts-cache")}</cachedir>\n</fontconfig>\n`,
  );
  say(`Chromium ${version} unpacked from @sparticuz/chromium in ${Date.now() - started} ms (${folder})`);
  return chromium;
}

/** The Debian parts for the system libraries the unpacked browser cannot find. */
function chromiumLibraryParts(chromium) {
  const unresolved = () => unresolvedLibraries(chromium.executablePath, chromium.libraryPath);
  const packages = new Map();
  for (const library of unresolved()) {
    const name = libraryPackages[library] ?? `(the package with ${library})`;
    packages.set(name, [...(packages.get(name) ?? []), library]);
  }
  return [...packages].map(([name, libraries]) => ({
    name,
    without: `Chromium cannot start (${libraries.join(", ")} not found) and the browser tests skip`,
    present: () => !unresolved().some((library) => libraries.includes(library)),
  }));
}

/** Writes what test/helpers/chromium-browser.ts reads, once the browser's libraries all resolve. */
function finishChromium(chromium) {
  if (unresolvedLibraries(chromium.executablePath, chromium.libraryPath).length > 0) return ["chromium"];
  const manifest = {
    version: chromium.version,
    executablePath: chromium.executablePath,
    env: { LD_LIBRARY_PATH: chromium.libraryPath, FONTCONFIG_FILE: join(chromium.folder, "fonts.conf") },
  };
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(chromium.complete, "");
  return [];
}

// ---- both -----------------------------------------------------------------------------

// Chromium first (it needs only npm's files), so that any system library it lacks joins the one apt-get run.
const chromium = await unpackChromium();
const chromiumParts = chromium.ready || !chromium.executablePath ? [] : chromiumLibraryParts(chromium);
const leftOut = setUpDebianPackages([...debianParts, ...chromiumParts]).filter(
  (name) => !chromiumParts.some((part) => part.name === name),
);
if (chromium.executablePath && !chromium.ready) leftOut.push(...finishChromium(chromium));
else if (!chromium.executablePath) leftOut.push("chromium");
if (leftOut.length > 0 && ci) {
  say(`CI=true and ${leftOut.join(", ")} still missing: failing, since CI must not pass with parts left out`);
  process.exit(1);
}
