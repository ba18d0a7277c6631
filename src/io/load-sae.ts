import type { Sae } from "../model/sae.js";
import { readConfigJson, readSaeFolder } from "./sae-folder.js";
import { readSaeLensFolder } from "./saelens-import.js";

/** An SAE read from a folder of either kind, with where it came from. */
export interface LoadedSae {
  sae: Sae;
  /** "cosae", or "saelens:<architecture>" for a SAELens folder (converted on the fly) */
  architecture: "cosae" | `saelens:${string}`;
  /** cfg.json's metadata (SAELens: model_name, hook_name, ...; cosae: data, train) */
  metadata: Record<string, unknown>;
  /** what the SAELens import folded into the weights (empty for cosae folders) */
  folded: string[];
  /** cfg.json as read */
  fileConfig: Record<string, unknown>;
}

/**
 * Reads a cosae SAE folder or a SAELens one, telling them apart by cfg.json's
 * `architecture` ("cosae" or anything else; old SAELens files may have none).
 */
export async function loadSae(folder: string): Promise<LoadedSae> {
  const { raw } = await readConfigJson(folder);
  const fileConfig = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  if (fileConfig.architecture === "cosae") {
    const { sae, fileConfig: cfg } = await readSaeFolder(folder);
    return { sae, architecture: "cosae", metadata: cfg.metadata ?? {}, folded: [], fileConfig };
  }
  const imported = await readSaeLensFolder(folder);
  return {
    sae: imported.sae,
    architecture: `saelens:${imported.architecture}`,
    metadata: imported.metadata,
    folded: imported.folded,
    fileConfig,
  };
}
