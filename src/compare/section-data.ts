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
import { type SyntheticConfig, SyntheticDataset } from "../data/synthetic.js";
import { loadActivationEvalSet } from "../evaluation/activation-eval-set.js";
import type { EvalSet } from "../evaluation/evaluate.js";
import { SplicedLossMeter, spliceSequences } from "../evaluation/spliced-loss.js";
import { syntheticEvalSet } from "../evaluation/synthetic-eval-set.js";
import type { Kernels } from "../kernels/kernels.js";
import type { RunSpec } from "../training/run-folder.js";
import type { LlamaModel } from "../transformer/llama.js";
import { loadTransformer } from "../transformer/load-model.js";
import { checkAllocation } from "../util/memory-budget.js";

export interface SectionData {
  title: string;
  /** one line on the data and the held-out set */
  data: string;
  /** a short name for folders: "synthetic", "resid3" … */
  slug: string;
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
  return {
    title: "synthetic default",
    data:
      `synthetic (DESIGN §5): d = ${dataset.d}, ${dataset.config.features} true features, ` +
      `${evalTokens} held-out tokens (a separate stream)`,
    slug: "synthetic",
    d: dataset.d,
    evalSet: syntheticEvalSet(dataset, evalTokens),
    runData: { synthetic: dataset.config },
    meter: null,
    notes: [],
  };
}

export interface ActivationSectionOptions {
  /** rows at the end held out for evaluation (moved back to a sequence start) */
  heldOut: number;
  /** the model for the spliced loss: a path, or null to use the manifest's */
  model: string | null;
  concepts: Partial<ConceptBankOptions>;
  kernels: Kernels;
  /** loads the model (default loadTransformer); a comparison shares one model across its datasets */
  loadModel?: (path: string) => Promise<LlamaModel>;
}

export async function activationSection(
  path: string,
  options: ActivationSectionOptions,
): Promise<SectionData> {
  const dataset = await ActivationDataset.open(path);
  const loaded = await loadActivationEvalSet(dataset, options.heldOut, options.concepts);
  const hook = dataset.manifest?.hook ?? null;
  const notes: string[] = [];
  let meter: SplicedLossMeter | null = null;
  const modelPath = options.model ?? dataset.manifest?.model ?? null;
  if (modelPath === null || hook === null || loaded.tokens === null) {
    notes.push("spliced loss: not measured (the dataset names no model and hook, or has no token ids)");
  } else if (!existsSync(modelPath)) {
    notes.push(`spliced loss: not measured (model ${modelPath} not found; pass --model)`);
  } else {
    const model = await (options.loadModel ?? loadTransformer)(modelPath);
    if (!model.tokenizer) throw new Error(`${modelPath}: no tokenizer found beside the model`);
    const sequences = spliceSequences(loaded.tokens, model.tokenizer.bosId, dataset.path);
    meter = new SplicedLossMeter(model, hook, sequences, options.kernels);
  }
  if (!loaded.conceptGroups)
    notes.push("concept alignment: not measured (the dataset has no token ids or vocab)");
  const concepts = loaded.conceptGroups
    ? `, ${loaded.set.concepts!.count} concepts (${Object.entries(loaded.conceptGroups)
        .map(([g, n]) => `${g} ${n}`)
        .join(", ")})`
    : "";
  return {
    title: [dataset.manifest?.model ? basename(dataset.manifest.model) : null, hook ?? basename(dataset.path)]
      .filter((s) => s !== null)
      .join(" "),
    data:
      `${dataset.describe()}; training rows [0, ${loaded.start}), ` +
      `held out ${loaded.set.rows} rows${concepts}`,
    slug: basename(resolve(dataset.path)),
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
