/**
 * What a comparison (or one `cosae eval`) needs about one dataset: the
 * held-out evaluation set, the training data of the runs, and — when the
 * activations came from a model we can load — a spliced-loss meter.
 */
import { existsSync } from "node:fs";
import { basename, resolve } from "node:path";
import type { ConceptBankOptions } from "../concepts/concept-bank.js";
import { validateActivationDataConfig } from "../data/activation-data-config.js";
import { ActivationDataset } from "../data/activation-dataset.js";
import { findRecordedModel } from "../data/recorded-model.js";
import { type SyntheticConfig, SyntheticDataset } from "../data/synthetic.js";
import { loadActivationEvalSet } from "../evaluation/activation-eval-set.js";
import { defaultEvalOptions, type EvalSet } from "../evaluation/evaluate.js";
import { SplicedLossMeter, spliceSequences } from "../evaluation/spliced-loss.js";
import { syntheticEvalSet } from "../evaluation/synthetic-eval-set.js";
import { taskMeasuresSummary } from "../evaluation/task-measures-summary.js";
import type { Kernels } from "../kernels/kernels.js";
import type { RunSpec } from "../training/run-folder.js";
import type { DecoderModel } from "../transformer/decoder.js";
import { loadTransformer } from "../transformer/load-model.js";
import { checkAllocation } from "../util/memory-budget.js";

export interface SectionData {
  title: string;
  /** one line on the data and the held-out set */
  data: string;
  /** a short name for folders: "synthetic", "resid3" … */
  slug: string;
  /** the model hook the activations were taken at, null for synthetic data or an unnamed hook */
  hook: string | null;
  d: number;
  evalSet: EvalSet;
  /** the `data` record of each run's spec */
  runData: RunSpec["data"];
  meter: SplicedLossMeter | null;
  /** what could not be measured, and why */
  notes: string[];
}

export function syntheticSection(config: Partial<SyntheticConfig>, evalTokens: number): SectionData {
  const dataset = new SyntheticDataset(config);
  checkAllocation({
    what: `a held-out set of ${evalTokens} tokens at d = ${dataset.d}`,
    largestArray: evalTokens * dataset.d,
    totalBytes: 2 * 4 * evalTokens * dataset.d, // the tokens and their reconstruction
    options: "--evalTokens",
  });
  const evalSet = syntheticEvalSet(dataset, evalTokens);
  const tasks = taskMeasuresSummary(evalSet, defaultEvalOptions);
  return {
    title: "synthetic default",
    data: [
      `synthetic (DESIGN §5): d = ${dataset.d}, ${dataset.config.features} true features, ` +
        `${evalTokens} held-out tokens (a separate stream)`,
      ...tasks.data,
    ].join("; "),
    slug: "synthetic",
    hook: null,
    d: dataset.d,
    evalSet,
    runData: { synthetic: dataset.config },
    meter: null,
    notes: tasks.notes,
  };
}

export interface ActivationSectionOptions {
  /** rows at the end held out for evaluation (moved back to a sequence start) */
  heldOut: number;
  /** the model for the spliced loss: a path, or null to use the manifest's */
  model: string | null;
  concepts: Partial<ConceptBankOptions>;
  kernels: Kernels;
  /** the dataset at `path`, when the caller has already opened it */
  dataset?: ActivationDataset;
  /**
   * loads the model with its tokenizer (the file given, or the one beside it; default loadTransformer);
   * a comparison shares one model across its datasets
   */
  loadModel?: (path: string, tokenizer: string | null) => Promise<DecoderModel>;
}

/**
 * The model for the spliced loss, found and loaded before any evaluation, or
 * a note saying why there is none: `--model` must exist; the manifest's model
 * may be missing or unreadable here, which only skips the measure.
 */
async function splicedLossModel(
  dataset: ActivationDataset,
  options: ActivationSectionOptions,
  hasHookAndTokens: boolean,
): Promise<{ model: DecoderModel | null; path: string | null; note: string | null }> {
  if (!hasHookAndTokens) {
    return { model: null, path: null, note: "not measured (the dataset names no hook, or has no token ids)" };
  }
  const load =
    options.loadModel ?? ((path, tokenizer) => loadTransformer(path, tokenizer ? { tokenizer } : {}));
  if (options.model !== null) {
    if (!existsSync(options.model)) {
      throw new Error(
        `--model ${options.model} does not exist; pass the model the dataset was harvested from, or leave ` +
          "--model out to use the one its manifest names",
      );
    }
    const model = await load(options.model, null);
    if (!model.tokenizer) throw new Error(`--model ${options.model}: no tokenizer found beside the model`);
    return { model, path: options.model, note: null };
  }
  const recorded = findRecordedModel(dataset.manifest, dataset.path);
  if (!recorded.found)
    return { model: null, path: null, note: `not measured: ${recorded.reason}; pass --model` };
  try {
    const model = await load(recorded.model, recorded.tokenizer);
    if (!model.tokenizer) throw new Error("no tokenizer found beside the model");
    return { model, path: recorded.model, note: recorded.note };
  } catch (err) {
    return {
      model: null,
      path: null,
      note: `not measured: the model the manifest names cannot be used: ${(err as Error).message}; pass --model`,
    };
  }
}

export async function activationSection(
  path: string,
  options: ActivationSectionOptions,
): Promise<SectionData> {
  const dataset = options.dataset ?? (await ActivationDataset.open(path));
  const hook = dataset.manifest?.hook ?? null;
  const notes: string[] = [];
  let meter: SplicedLossMeter | null = null;
  // The model first: a wrong --model fails, and a missing one is known, before any data is read.
  const spliced = await splicedLossModel(dataset, options, hook !== null && dataset.hasTokens);
  if (spliced.note !== null) notes.push(`spliced loss: ${spliced.note}`);
  const loaded = await loadActivationEvalSet(dataset, options.heldOut, options.concepts);
  if (spliced.model !== null && loaded.tokens !== null) {
    checkIdsInModel(dataset, loaded.start, loaded.tokens.ids, spliced.model.config.vocabSize, spliced.path!);
    const sequences = spliceSequences(loaded.tokens, spliced.model.tokenizer!.bosId, dataset.path);
    meter = new SplicedLossMeter(spliced.model, hook!, sequences, options.kernels);
  }
  if (!loaded.conceptGroups)
    notes.push("concept alignment: not measured (the dataset has no token ids or vocab)");
  const tasks = taskMeasuresSummary(loaded.set, defaultEvalOptions);
  notes.push(...tasks.notes);
  const concepts = loaded.conceptGroups
    ? `, ${loaded.set.concepts!.count} concepts (${Object.entries(loaded.conceptGroups)
        .map(([g, n]) => `${g} ${n}`)
        .join(", ")})`
    : "";
  return {
    title: [dataset.manifest?.model ? basename(dataset.manifest.model) : null, hook ?? basename(dataset.path)]
      .filter((s) => s !== null)
      .join(" "),
    data: [
      `${dataset.describe()}; training rows [0, ${loaded.start}), held out ${loaded.set.rows} rows${concepts}`,
      ...tasks.data,
    ].join("; "),
    slug: basename(resolve(dataset.path)),
    hook,
    d: dataset.d,
    evalSet: loaded.set,
    runData: {
      activations: validateActivationDataConfig(
        { path: dataset.path, holdOut: options.heldOut },
        dataset.path,
      ),
    },
    meter,
    notes,
  };
}

/**
 * The held-out token ids fit the model that replays them (a dataset harvested
 * with another model's tokenizer would fail deep in the forward pass): else an
 * error naming the shard and the row.
 */
function checkIdsInModel(
  dataset: ActivationDataset,
  start: number,
  ids: Int32Array,
  vocabSize: number,
  modelPath: string,
): void {
  const i = ids.findIndex((id) => id < 0 || id >= vocabSize);
  if (i < 0) return;
  const at = dataset.locate(start + i);
  throw new Error(
    `${at.file}: row ${at.row} (dataset row ${start + i}) has token id ${ids[i]}, outside the ${vocabSize}-token ` +
      `vocabulary of the model ${modelPath}; pass the model the activations were harvested with (--model)`,
  );
}
