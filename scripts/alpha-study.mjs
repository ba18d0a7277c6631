#!/usr/bin/env node
// The α-initialisation study of docs/alpha.md (`npm run study:alpha`, which builds first):
// blend and blend-feature trained from α₀ ∈ {0, 0.25, 0.5, 0.75, 1} at k = 8 with compare's
// defaults (1000 steps, lr 3e-3) on the synthetic default (m 1024) and on stories260K
// blocks.3.hook_resid_pre (m 512, 32768 held-out rows, harvested once into
// OUT/activations/). Each start is one `compare` of its own under OUT/<dataset>/alpha-<α₀>:
// finished runs are reused, unfinished ones resumed. Writes OUT/alpha-study.md. 20 runs,
// about 4.5 minutes on one core (CI runs it); --full adds blend-feature-equivariant from
// every start and cosine and cosine-equivariant as references (34 runs): docs/alpha.md's tables.
//
//   node scripts/alpha-study.mjs [--out runs/alpha-study] [--full] [--steps 1000] [--threads 0]
//                                [--datasets synthetic,stories] [--starts 0,0.25,0.5,0.75,1]
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compareFamilies } from "../dist/src/api/compare.js";
import { openKernels } from "../dist/src/api/kernels.js";
import { harvestActivations, loadModel } from "../dist/src/api/model.js";
import { alphaStudyDataset, alphaStudyMarkdown, alphaStudyStarts } from "../dist/src/compare/alpha-study.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const shared = resolve(root, "..", "shared");

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = process.argv[at + 1];
  if (value === undefined) throw new Error(`alpha-study: option --${name} needs a value`);
  return value;
}

const known = ["--out", "--full", "--steps", "--threads", "--datasets", "--starts"];
for (const arg of process.argv.slice(2))
  if (arg.startsWith("--") && !known.includes(arg))
    throw new Error(`alpha-study: unknown option ${arg}; the options are ${known.join(", ")}`);
const out = resolve(option("out", "runs/alpha-study"));
const steps = Number(option("steps", "1000"));
const threads = Number(option("threads", "0"));
const datasets = option("datasets", "synthetic,stories").split(",");
const starts = option("starts", alphaStudyStarts.join(",")).split(",").map(Number);
for (const a of starts)
  if (!(a >= 0 && a <= 1)) throw new Error(`alpha-study: --starts: each α₀ must be in [0, 1], got ${a}`);
if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`alpha-study: --steps: expected an integer ≥ 1`);
for (const d of datasets)
  if (d !== "synthetic" && d !== "stories")
    throw new Error(`alpha-study: --datasets: unknown dataset "${d}" (synthetic or stories)`);

const full = process.argv.includes("--full");
const k = 8;
const references = full ? ["cosine", "cosine-equivariant"] : [];
const withAlpha = full ? ["blend", "blend-feature", "blend-feature-equivariant"] : ["blend", "blend-feature"];
const stories = {
  model: join(shared, "models/stories260K/stories260K.bin"),
  text: join(shared, "corpus/tinystories-2MiB.txt"),
  hook: "blocks.3.hook_resid_pre",
};
const setups = {
  synthetic: { data: null, m: 1024, evalTokens: 16384 },
  stories: { data: join(out, "activations", stories.hook), m: 512, evalTokens: 32768 },
};

/** The stories activations, harvested once into OUT/activations/<hook> (again if unfinished). */
async function harvestStories(folder, kernels) {
  const manifest = join(folder, "manifest.json");
  if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).complete) return;
  await rm(folder, { recursive: true, force: true });
  await mkdir(dirname(folder), { recursive: true });
  console.log(`harvesting ${stories.hook} of ${stories.model} into ${folder}`);
  const model = await loadModel(stories.model);
  await harvestActivations({ model, text: stories.text, outputs: [{ hook: stories.hook, folder }], kernels });
}

const started = performance.now();
const kernels = await openKernels({ threads });
const results = [];
try {
  for (const name of datasets) {
    const setup = setups[name];
    if (setup.data) await harvestStories(setup.data, kernels);
    // compare puts a section's runs in <out>/<slug>: "synthetic", or the data folder's name.
    const slug = setup.data ? basename(setup.data) : "synthetic";
    const sections = [];
    const run = async (alphaInit, families) => {
      const where = join(out, name, alphaInit === null ? "reference" : `alpha-${alphaInit}`);
      const section = await compareFamilies({
        out: where,
        data: setup.data,
        families,
        k,
        ks: [k],
        targetFvu: 0.5, // no matching here: every family runs at k = 8 only
        training: { m: setup.m, steps, ...(alphaInit === null ? {} : { alphaInit }) },
        evalTokens: setup.evalTokens,
        kernels,
        log: (line) => console.log(`${name} α₀=${alphaInit ?? "—"}: ${line}`),
      });
      sections.push({ alphaInit, section, folder: join(where, slug) });
    };
    if (references.length > 0) await run(null, references);
    for (const alphaInit of starts) await run(alphaInit, withAlpha);
    results.push(await alphaStudyDataset(sections));
  }
} finally {
  await kernels.dispose();
}
const settings =
  `k = ${k}, ${steps} steps of 1024 tokens, lr 3e-3 (compare's defaults); ` +
  "m = 1024 on synthetic data, 512 on stories260K.";
await mkdir(out, { recursive: true });
const file = join(out, "alpha-study.md");
await writeFile(file, alphaStudyMarkdown(results, settings));
console.log(`wrote ${file} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
