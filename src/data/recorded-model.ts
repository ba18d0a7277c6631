/**
 * The model (and tokenizer) a dataset's manifest names, found on this
 * machine. Harvest records them resolved; an older manifest may hold a path
 * relative to where that harvest ran, which is tried against the current
 * folder and then the dataset's folder, saying which one was used.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { type ActivationProvenance, MANIFEST_FILE } from "./activation-manifest.js";

export type RecordedModel =
  | {
      found: true;
      model: string;
      /** the tokenizer file the harvest was given apart from the model, or null (the one beside it) */
      tokenizer: string | null;
      /** how a relative path was resolved, for the user; null when the manifest's paths were absolute */
      note: string | null;
    }
  | { found: false; reason: string };

/** One recorded path, resolved: absolute as is; relative against the current folder, then the dataset's. */
function locate(
  recorded: string,
  datasetFolder: string,
): { path: string; note: string | null } | { tried: string[] } {
  if (isAbsolute(recorded))
    return existsSync(recorded) ? { path: recorded, note: null } : { tried: [recorded] };
  const candidates = [
    { path: resolve(recorded), where: "the current folder" },
    { path: resolve(datasetFolder, recorded), where: "the dataset's folder" },
  ];
  for (const c of candidates) {
    if (existsSync(c.path)) {
      return { path: c.path, note: `the relative path "${recorded}" was read from ${c.where}: ${c.path}` };
    }
  }
  return { tried: candidates.map((c) => c.path) };
}

export function findRecordedModel(
  manifest: Pick<ActivationProvenance, "model" | "tokenizer"> | null,
  datasetFolder: string,
): RecordedModel {
  const source = join(datasetFolder, MANIFEST_FILE);
  if (!manifest?.model) return { found: false, reason: `${source} names no model` };
  const model = locate(manifest.model, datasetFolder);
  if ("tried" in model) {
    return {
      found: false,
      reason: `the model ${source} names, ${manifest.model}, is not here (tried ${model.tried.join(", ")})`,
    };
  }
  if (!manifest.tokenizer) return { found: true, model: model.path, tokenizer: null, note: model.note };
  const tokenizer = locate(manifest.tokenizer, datasetFolder);
  if ("tried" in tokenizer) {
    return {
      found: false,
      reason: `the tokenizer ${source} names, ${manifest.tokenizer}, is not here (tried ${tokenizer.tried.join(", ")})`,
    };
  }
  const notes = [model.note, tokenizer.note].filter((n) => n !== null);
  return {
    found: true,
    model: model.path,
    tokenizer: tokenizer.path,
    note: notes.length > 0 ? notes.join("; ") : null,
  };
}
