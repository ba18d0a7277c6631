import { existsSync, readdirSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type CompareResults, type CompareSection, sectionTargets } from "../compare/compare-results.js";
import { hookContrastTable, matchedTable, runsTable } from "../compare/compare-tables.js";
import { defaultFamilies, parseFamilies } from "../compare/families.js";
import { hookContrasts } from "../compare/hook-contrast.js";
import { measureInfo } from "../compare/measures.js";
import { runCompareSection } from "../compare/run-compare.js";
import { activationSection, type SectionData, syntheticSection } from "../compare/section-data.js";
import { conceptGroups, parseConceptGroups } from "../concepts/concept-bank.js";
import {
  type FieldTable,
  flagOptions,
  parseFlagValues,
  splitList,
  validateFields,
} from "../config/fields.js";
import {
  type ActivationDType,
  type ActivationFileFormat,
  MANIFEST_FILE,
  readActivationManifest,
} from "../data/activation-manifest.js";
import { harvest } from "../data/harvest.js";
import { harvestFields } from "../data/harvest-config.js";
import { writeFileAtomic, writeJsonAtomic } from "../io/atomic-write.js";
import { chooseKernels } from "../kernels/choose-kernels.js";
import type { Kernels } from "../kernels/kernels.js";
import { renderCompareReport } from "../report/compare-report.js";
import { RunInterrupted } from "../training/run-folder.js";
import { trainFields } from "../training/train-config.js";
import type { DecoderModel } from "../transformer/decoder.js";
import { loadTransformer } from "../transformer/load-model.js";
import { catchStopSignals, signalExitCode } from "../util/stop-signals.js";
import { harvestProgress } from "./harvest-command.js";
import { kernelsFlag, kernelsFlagHelp, kernelsKind } from "./kernels-flag.js";
import { ProgressBar } from "./progress.js";

/** The training options compare takes: \`cosae train\`'s, with a fixed learning rate as default. */
const compareTrainFields = {
  m: trainFields.m,
  steps: trainFields.steps,
  batchSize: trainFields.batchSize,
  lr: { ...trainFields.lr, default: 3e-3 },
  seed: trainFields.seed,
  alphaInit: trainFields.alphaInit,
} as const satisfies FieldTable;

export const compareHelp = `cosae compare [data] [--out DIR] [--families a,b,...] [--k K] [--ks k1,k2,...] [options]

The paper's comparison at matched reconstruction (DESIGN §4). Trains each score
family at each k with the same data order and seed, evaluates every SAE on
held-out tokens (FVU, L0, dead, α, slot share by norm, norm detectors, concept
alignment; MMCS on synthetic data; the spliced loss when the model is known),
interpolates every measure at each target FVU (inner's at K/2, K and 2K), and
prints one table per target and dataset.
Writes DIR/compare-results.json (every figure) and DIR/report.html (plots; no
network needed to view it). Finished runs in DIR are reused, unfinished ones resumed
(SIGINT/SIGTERM stop after a checkpoint); DIR must be new, empty or compare's own.

Data (one of):
  (none)                     the built-in synthetic default (ground truth known)
  --data A,B,...             activation datasets (shard folders with token ids for concepts)
  --model M --text T --hook H1,H2,...
                             harvest the hooks from model M over corpus T into
                             DIR/activations/<hook> (kept and reused), then compare on each

Options:
  --families LIST   default ${defaultFamilies.join(",")}
                    (<score>[-uncentred][-equivariant][-equalize]: -uncentred takes the
                    cosine of x̃ instead of x_c = x̃ − b_dec, cosine family only;
                    e.g. cosine-uncentred, blend-feature-uncentred-equivariant)
  --k K             the base k; the targets are inner's FVU at K/2, K and 2K (default 8)
  --ks LIST         the k grid (default K/2,K,2K, then halved or doubled, up to
                    3 more runs per family, until the family's FVUs bracket every target)
  --targetFvu LIST  match at these FVUs instead (e.g. 0.3,0.2,0.1)
  --m M             latents (default ${compareTrainFields.m.default})
  --steps N         steps per run (default ${compareTrainFields.steps.default})
  --batchSize B     tokens per step (default ${compareTrainFields.batchSize.default})
  --lr LR           peak learning rate (default ${compareTrainFields.lr.default.toExponential()})
  --seed S          seed of every run (default ${compareTrainFields.seed.default})
  --alphaInit A     initial α of the blend families (default ${compareTrainFields.alphaInit.default}; docs/alpha.md)
  --evalTokens N    held-out tokens (synthetic: a separate stream, default 16384;
                    activations: the last N rows, whole sequences, default 32768)
  --concepts LIST   concept groups for real text (default ${conceptGroups.join(",")};
                    docs/concepts.md)
  --contextLength N, --maxTokens N   harvest options (default 256, whole corpus)
  --out DIR         default runs/compare
  --name NAME       write DIR/NAME-results.json and DIR/NAME-report.html instead of
                    compare-results.json and report.html, so that a second
                    comparison shares DIR's activations and runs with the first
  --threads N       compute threads (0: every core)
${kernelsFlagHelp()}`;

export async function compareCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: "string" },
      model: { type: "string" },
      text: { type: "string" },
      hook: { type: "string" },
      families: { type: "string", default: defaultFamilies.join(",") },
      k: { type: "string", default: "8" },
      ks: { type: "string" },
      targetFvu: { type: "string" },
      ...flagOptions(compareTrainFields),
      evalTokens: { type: "string" },
      contextLength: { type: "string", default: String(harvestFields.contextLength.default) },
      maxTokens: { type: "string" },
      out: { type: "string", default: "runs/compare" },
      name: { type: "string" },
      concepts: { type: "string", default: conceptGroups.join(",") },
      threads: { type: "string", default: "0" },
      kernels: kernelsFlag,
    },
    strict: true,
  });
  const int = (name: keyof typeof values, min = 1): number => {
    const v = Number(values[name]);
    if (!(Number.isInteger(v) && v >= min))
      throw new Error(`--${name}: expected an integer ≥ ${min}, got "${values[name]}"`);
    return v;
  };
  const families = parseFamilies(values.families);
  const conceptGroupList = parseConceptGroups(values.concepts);
  const baseK = int("k");
  const ks =
    values.ks === undefined ? [...new Set([Math.max(1, baseK >> 1), baseK, 2 * baseK])] : parseKs(values.ks);
  if (values.targetFvu === undefined && !ks.includes(baseK))
    throw new Error(`--ks ${ks.join(",")} must include --k ${baseK}, whose inner FVU is the target`);
  const targetFvus = values.targetFvu === undefined ? null : parseTargetFvus(values.targetFvu);
  const training = {
    ...validateFields(compareTrainFields, parseFlagValues(compareTrainFields, values), "command line"),
    logEvery: 10,
  };
  if (Math.max(...ks) > training.m) throw new Error(`--ks: k = ${Math.max(...ks)} exceeds m = ${training.m}`);
  // --text and --hook ask for a harvest; --model alone names the model for the spliced loss of --data.
  const harvestAsked = values.text !== undefined || values.hook !== undefined;
  if (harvestAsked && values.data !== undefined)
    throw new Error("give --data, or --model with --text and --hook, not both");
  if (harvestAsked && (values.text === undefined || values.hook === undefined || values.model === undefined))
    throw new Error("harvesting needs --model, --text and --hook together");
  if (values.model !== undefined && !harvestAsked && values.data === undefined)
    throw new Error("--model needs --text and --hook (to harvest) or --data (for the spliced loss)");
  const harvestOptions = {
    contextLength: int("contextLength", 2),
    maxTokens: values.maxTokens === undefined ? null : int("maxTokens"),
  };
  const evalTokens = values.evalTokens === undefined ? null : int("evalTokens");
  const threads = int("threads", 0);
  const kernelsAsked = kernelsKind(values.kernels);
  const out = checkCompareOut(values.out);
  const files = outputFiles(out, values.name);

  // One model per path, however many datasets and the harvest use it.
  const models = new Map<string, Promise<DecoderModel>>();
  const loadModel = (path: string, tokenizer: string | null = null): Promise<DecoderModel> => {
    const key = `${resolve(path)}\n${tokenizer ?? ""}`;
    if (!models.has(key)) models.set(key, loadTransformer(path, tokenizer ? { tokenizer } : {}));
    return models.get(key)!;
  };
  const kernels = await chooseKernels(threads, kernelsAsked);
  process.stderr.write(`${kernels.description}\n`);
  const stop = catchStopSignals();
  const started = performance.now();
  try {
    const dataPaths = harvestAsked
      ? await harvestHooks(values.model!, values.text!, splitList(values.hook!), out, {
          ...harvestOptions,
          kernels,
          loadModel,
        })
      : values.data === undefined
        ? null
        : splitList(values.data);
    const sections: CompareSection[] = [];
    const openSection = async (path: string | null): Promise<SectionData> =>
      path === null
        ? syntheticSection({}, evalTokens ?? 16384)
        : activationSection(path, {
            heldOut: evalTokens ?? 32768,
            model: values.model ?? null,
            loadModel,
            concepts: { groups: conceptGroupList },
            kernels,
          });
    const bars = new Map<string, ProgressBar>();
    for (const path of dataPaths ?? [null]) {
      const section = await openSection(path);
      process.stderr.write(`\n${section.title}: ${section.data}\n`);
      for (const note of section.notes) process.stderr.write(`${note}\n`); // before any training
      const result = await runCompareSection(section, join(out, section.slug), {
        families,
        ks,
        extendKs: values.ks === undefined,
        baseK,
        targetFvus,
        training,
        kernels,
        onMetrics: (label, m, steps) => {
          if (!bars.has(label)) bars.set(label, new ProgressBar(label, steps));
          bars.get(label)!.update(m);
        },
        log: (line) => process.stderr.write(`${line}\n`),
        stopRequested: stop.requested,
      });
      sections.push(result);
      process.stdout.write(`\n${sectionText(result)}\n`);
    }
    const results: CompareResults = {
      createdBy: `cosae compare ${argv.join(" ")}`.trim(),
      createdAt: new Date().toISOString(),
      settings: {
        ...training,
        ks,
        baseK,
        evalTokens: evalTokens ?? (dataPaths ? 32768 : 16384),
        kernels: kernels.name,
      },
      families,
      measures: measureInfo,
      sections,
      seconds: (performance.now() - started) / 1000,
    };
    for (const contrast of hookContrasts(results)) process.stdout.write(`\n${hookContrastTable(contrast)}\n`);
    await writeJsonAtomic(files.results, results);
    await writeFileAtomic(files.report, renderCompareReport(results));
    process.stdout.write(
      `\n${results.seconds.toFixed(0)} s on ${kernels.name}; wrote ${files.results} and ${files.report}\n`,
    );
  } catch (e) {
    if (!(e instanceof RunInterrupted)) throw e;
    process.stderr.write(
      `\ncosae: ${e.message.replace(/continue with: .*$/, "")}run the same compare again to continue\n`,
    );
    process.exitCode = signalExitCode(e.signal);
  } finally {
    stop.dispose();
    await kernels.dispose();
  }
}

/** What compare writes in --out: its results, harvested activations, and one folder of runs per dataset. */
const compareFiles = new Set(["compare-results.json", "report.html", "activations"]);
/** The results and report of a named comparison (--name). */
const namedFile = /^[a-z0-9][a-z0-9-]*-(results\.json|report\.html)$/;

/** Where the results and the report go: compare-results.json and report.html, or NAME-… with --name. */
function outputFiles(out: string, name: string | undefined): { results: string; report: string } {
  if (name === undefined)
    return { results: join(out, "compare-results.json"), report: join(out, "report.html") };
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name))
    throw new Error(`--name: expected lowercase letters, digits and "-" (e.g. sublayers), got "${name}"`);
  return { results: join(out, `${name}-results.json`), report: join(out, `${name}-report.html`) };
}
const runFolderName = /^[a-z-]+-k\d+$/;

/**
 * --out must be new, empty, or a folder compare wrote: anything else is
 * refused before anything is written, since compare replaces runs it finds there.
 */
function checkCompareOut(out: string): string {
  if (!existsSync(out)) return out;
  if (!statSync(out).isDirectory())
    throw new Error(`--out ${out} exists and is not a folder; choose a folder`);
  const foreign = readdirSync(out).filter((name) => {
    if (compareFiles.has(name) || namedFile.test(name) || /^\..+\.tmp$/.test(name)) return false;
    const path = join(out, name);
    return !(statSync(path).isDirectory() && readdirSync(path).every((run) => runFolderName.test(run)));
  });
  if (foreign.length > 0)
    throw new Error(
      `--out ${out} holds "${foreign[0]}", which cosae compare did not write; nothing was written: ` +
        "choose another --out, or an empty folder",
    );
  return out;
}

function parseTargetFvus(list: string): number[] {
  const fvus = splitList(list).map(Number);
  if (fvus.length === 0 || fvus.some((f) => !(f > 0 && f < 1)))
    throw new Error(`--targetFvu: expected numbers in (0, 1) separated by commas, got "${list}"`);
  return fvus;
}

function parseKs(list: string): number[] {
  const ks = splitList(list).map(Number);
  if (ks.length === 0 || ks.some((k) => !(Number.isInteger(k) && k >= 1)))
    throw new Error(`--ks: expected positive integers separated by commas, got "${list}"`);
  return [...new Set(ks)].sort((a, b) => a - b);
}

/** The section's matched tables (one per target), its runs and its notes, as printed. */
function sectionText(s: CompareSection): string {
  return [
    ...sectionTargets(s).flatMap((t) => [
      `${s.title} — matched at FVU ${t.targetFvu.toFixed(4)} (${t.targetFrom})`,
      matchedTable(t.matched, measureInfo),
      "",
    ]),
    "all runs:",
    runsTable(s.runs),
    ...s.notes,
  ].join("\n");
}

/**
 * Harvests the hooks not yet complete under `<out>/activations/<hook>` in one
 * pass (resuming a partial one), and returns the folders.
 */
async function harvestHooks(
  modelPath: string,
  text: string,
  hooks: string[],
  out: string,
  options: {
    contextLength: number;
    maxTokens: number | null;
    kernels: Kernels;
    loadModel: (path: string) => Promise<DecoderModel>;
  },
): Promise<string[]> {
  const outputs = hooks.map((hook) => ({ hook, folder: join(out, "activations", hook) }));
  const complete = async (folder: string) =>
    existsSync(join(folder, MANIFEST_FILE)) && (await readActivationManifest(folder)).complete;
  const todo = [];
  for (const o of outputs) if (!(await complete(o.folder))) todo.push(o);
  if (todo.length > 0) {
    // One pass for every missing hook: resumed when all were started together, else begun afresh.
    const resume = todo.every((o) => existsSync(join(o.folder, MANIFEST_FILE)));
    if (!resume) for (const o of todo) await rm(o.folder, { recursive: true, force: true });
    const model = await options.loadModel(modelPath);
    const bar = new ProgressBar("harvest", 1);
    const r = await harvest({
      model,
      modelPath,
      text,
      outputs: todo,
      contextLength: options.contextLength,
      // `cosae harvest`'s defaults for everything compare does not ask
      batchTokens: harvestFields.batchTokens.default,
      maxRows: options.maxTokens,
      skipBos: harvestFields.bos.default === "exclude",
      shardRows: harvestFields.shardRows.default,
      dtype: harvestFields.dtype.default as ActivationDType,
      fileFormat: harvestFields.fileFormat.default as ActivationFileFormat,
      resume,
      kernels: options.kernels,
      onProgress: harvestProgress(bar, options.maxTokens),
    });
    process.stderr.write(
      `harvested ${todo.map((o) => o.hook).join(", ")}: ${r.tokens} tokens in ${r.seconds.toFixed(1)} s\n`,
    );
  }
  return outputs.map((o) => o.folder);
}
