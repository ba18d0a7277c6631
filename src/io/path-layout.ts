/**
 * The folder layouts cosae reads, told apart by the files they hold, so that a
 * folder that is none of them gets a sentence naming the one it most resembles
 * and what it lacks ("an SAE folder without cfg.json") rather than a guess.
 */
import { readdir } from "node:fs/promises";

export type FolderKind = "dataset" | "sae" | "hf-model" | "run";

interface FolderLayout {
  kind: FolderKind;
  /** how a message names it: "an activation dataset folder" */
  name: string;
  /** each entry is one required file; alternatives are separated by " or " */
  required: readonly (readonly string[])[];
  /** files that only such folders hold */
  hints: readonly RegExp[];
}

const folderLayouts: readonly FolderLayout[] = [
  {
    kind: "dataset",
    name: "an activation dataset folder",
    required: [["manifest.json"]],
    hints: [/^shard-\d+\.(safetensors|npy)$/, /^shard-\d+\.tokens\.npy$/, /^vocab\.json$/],
  },
  {
    kind: "sae",
    name: "an SAE folder (cosae or SAELens)",
    required: [["cfg.json"], ["sae_weights.safetensors"]],
    hints: [/^sparsity\.safetensors$/],
  },
  {
    kind: "hf-model",
    name: "a Hugging Face model folder",
    required: [["config.json"], ["model.safetensors", "model.safetensors.index.json"]],
    hints: [
      /^model-\d+-of-\d+\.safetensors$/,
      /^tokenizer(_config)?\.json$/,
      /^generation_config\.json$/,
      /^special_tokens_map\.json$/,
    ],
  },
  {
    kind: "run",
    name: "a cosae run folder",
    required: [["run.json"], ["sae"]],
    hints: [/^metrics\.jsonl$/, /^checkpoints$/],
  },
];

/** Every layout cosae reads, for messages about a path that is none of them. */
export const knownLayouts =
  "a llama2.c checkpoint (.bin), a Hugging Face model folder (config.json, model.safetensors or " +
  "model.safetensors.index.json, tokenizer.json), an activation dataset folder (manifest.json and its shards), " +
  "an activation file (.npy or .safetensors), a cosae SAE folder (cfg.json with sae_weights.safetensors), " +
  "a SAELens SAE folder (the same two files) or a cosae run folder (run.json and sae/)";

export interface FolderRecognition {
  /** the layout the folder holds completely, if any */
  kind: FolderKind | null;
  /** when none is complete: which one it most resembles, with what it has and lacks; null when nothing matches */
  resemblance: string | null;
}

/** Which layout the files `entries` (names inside one folder) make up, or most resemble. */
export function recognizeFolder(entries: readonly string[]): FolderRecognition {
  const names = new Set(entries);
  let best: { layout: FolderLayout; score: number; has: string[]; missing: string[] } | null = null;
  for (const layout of folderLayouts) {
    const has: string[] = [];
    const missing: string[] = [];
    for (const options of layout.required) {
      const found = options.find((f) => names.has(f));
      if (found === undefined) missing.push(options.join(" or "));
      else has.push(found);
    }
    const hinted = entries.filter((e) => layout.hints.some((h) => h.test(e))).sort();
    if (missing.length === 0) return { kind: layout.kind, resemblance: null };
    const score = 2 * has.length + Math.min(hinted.length, 3);
    if (score > 0 && (best === null || score > best.score)) {
      best = { layout, score, has: [...has, ...hinted.slice(0, 3)], missing };
    }
  }
  const llama2c = entries.filter((e) => e.endsWith(".bin")).sort();
  if (best === null && llama2c.length > 0) {
    return {
      kind: null,
      resemblance: `a folder holding llama2.c files (${llama2c.slice(0, 3).join(", ")}): pass the model file itself`,
    };
  }
  if (best === null) return { kind: null, resemblance: null };
  const more = best.has.length > 0 ? ` (it has ${best.has.join(", ")})` : "";
  return { kind: null, resemblance: `${best.layout.name} without ${best.missing.join(" and ")}${more}` };
}

/** The files of `folder`, recognised; see {@link recognizeFolder}. */
export async function recognizeFolderAt(folder: string): Promise<FolderRecognition & { empty: boolean }> {
  const entries = await readdir(folder);
  return { ...recognizeFolder(entries), empty: entries.length === 0 };
}

/** One sentence for a folder that holds no layout cosae reads. */
export function unrecognizedFolderMessage(
  folder: string,
  found: FolderRecognition & { empty: boolean },
): string {
  const what = found.empty
    ? "is an empty folder"
    : found.resemblance === null
      ? "holds no layout cosae knows"
      : `is not a layout cosae knows: it most resembles ${found.resemblance}`;
  return `${folder} ${what}; cosae reads ${knownLayouts}`;
}
