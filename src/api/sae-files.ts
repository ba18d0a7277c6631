/**
 * SAE folders for library users: cosae's own (cfg.json +
 * sae_weights.safetensors) and SAELens's, read by one function and written by two.
 */
import { loadSae as loadSaeFolder } from "../io/load-sae.js";
import { replaceFolder, writeSaeFolder } from "../io/sae-folder.js";
import { saeLensTarget, writeSaeLensFolder } from "../io/saelens-export.js";
import type { Sae } from "../model/sae.js";

export type { LoadedSae } from "../io/load-sae.js";

/**
 * Writes `sae` as a cosae SAE folder (cfg.json and sae_weights.safetensors),
 * whole or not at all: the folder is written beside and swapped in.
 * `metadata` goes into cfg.json (e.g. what the SAE was trained on).
 */
export async function saveSae(folder: string, sae: Sae, metadata?: Record<string, unknown>): Promise<void> {
  await replaceFolder(folder, (tmp) => writeSaeFolder(tmp, sae, metadata));
}

/**
 * Reads an SAE folder: cosae's own, or a SAELens one (standard, topk,
 * batchtopk, jumprelu; converted on the fly), told apart by cfg.json.
 */
export async function loadSae(folder: string): Promise<Sae> {
  return (await loadSaeFolder(folder)).sae;
}

export { loadSaeFolder as loadSaeWithInfo };

/**
 * Writes `sae` as a SAELens folder (as `cosae export` does) and returns the
 * SAELens architecture used; throws, saying why, for an SAE SAELens cannot
 * represent. `metadata` fills cfg.json's metadata (model_name, hook_name …).
 */
export async function exportSaeLens(
  folder: string,
  sae: Sae,
  metadata: Record<string, unknown> = {},
): Promise<"jumprelu" | "topk"> {
  const target = saeLensTarget(sae);
  if ("reason" in target) throw new Error(`exportSaeLens(${JSON.stringify(folder)}): ${target.reason}`);
  let architecture: "jumprelu" | "topk" = target.architecture;
  await replaceFolder(folder, async (tmp) => {
    architecture = await writeSaeLensFolder(tmp, sae, metadata);
  });
  return architecture;
}
