/** The per-latent summary columns the browser lists, sorts and searches (LatentTable). */
import type { FeatureData } from "./feature-data.js";
import type { LatentTable } from "./latent-record.js";
import { roundSignificant } from "./round-significant.js";

/** topTokens: the most frequent focus tokens among a latent's TOP_TOKEN_POOL highest activations … */
export const TOP_TOKEN_POOL = 50;
/** … at most this many. */
export const TOP_TOKEN_COUNT = 5;

export function latentTable(data: FeatureData): LatentTable {
  const { lists } = data;
  const m = lists.m;
  const n = data.codes.rows;
  const table: LatentTable = {
    frequency: [],
    meanActivation: [],
    maxActivation: [],
    alpha: [],
    normAuroc: [],
    normDetector: [],
    bestConcept: [],
    bestF1: [],
    topTokens: [],
  };
  for (let j = 0; j < m; j++) {
    const s = summary(data, j);
    table.frequency.push(roundSignificant(s.fires / n));
    table.meanActivation.push(roundSignificant(s.mean));
    table.maxActivation.push(roundSignificant(s.max));
    table.alpha.push(roundSignificant(data.alpha[j]!));
    const auroc = data.normAuroc[j]!;
    table.normAuroc.push(Number.isNaN(auroc) ? null : roundSignificant(auroc));
    table.normDetector.push(data.isNormDetector[j]! !== 0);
    const a = data.concepts?.alignment;
    const best = a ? a.latentBestConcept[j]! : -1;
    table.bestConcept.push(best >= 0 ? data.concepts!.names[best]! : null);
    table.bestF1.push(best >= 0 ? roundSignificant(a!.latentBestF1[j]!) : 0);
    table.topTokens.push(topTokens(data, j).join(" "));
  }
  return table;
}

/** Fires, mean and max activation of latent j (0 for a latent that never fires). */
export function summary(data: FeatureData, j: number): { fires: number; mean: number; max: number } {
  const { start, value } = data.lists;
  const fires = start[j + 1]! - start[j]!;
  if (fires === 0) return { fires, mean: 0, max: 0 };
  let sum = 0;
  for (let e = start[j]!; e < start[j + 1]!; e++) sum += value[e]!;
  return { fires, mean: sum / fires, max: value[start[j]!]! };
}

/**
 * The focus tokens of latent j's highest activations, most frequent first
 * (ties: the one reached at the higher activation first), as trimmed display
 * strings; tokens that are only whitespace are left out.
 */
export function topTokens(data: FeatureData, j: number): string[] {
  const { start, row } = data.lists;
  const counts = new Map<string, number>();
  const end = Math.min(start[j + 1]!, start[j]! + TOP_TOKEN_POOL);
  for (let e = start[j]!; e < end; e++) {
    const text = data.tokenString(data.tokens.ids[row[e]!]!).trim();
    if (text !== "") counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  // Map keeps first-insertion order and sort is stable, so ties stay in activation order.
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP_TOKEN_COUNT)
    .map(([text]) => text);
}
