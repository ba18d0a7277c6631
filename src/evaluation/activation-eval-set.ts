/**
 * Held-out tokens of an activation dataset as an evaluation set: the last
 * rows (whole sequences, see held-out.ts), with the concept bank built from
 * their text when the dataset carries token ids and a vocabulary.
 */
import { buildConceptBank, type ConceptBankOptions } from "../concepts/concept-bank.js";
import type { ActivationDataset } from "../data/activation-dataset.js";
import type { TokenRows } from "../data/activation-file.js";
import { heldOutStart } from "../data/held-out.js";
import type { EvalSet } from "./evaluate.js";

export interface ActivationEvalData {
  set: EvalSet;
  /** first held-out row; the set is rows [start, dataset.rows) */
  start: number;
  /** their token ids, sequences and positions, when the dataset has them */
  tokens: TokenRows | null;
  /** concept count per group, when a bank was built */
  conceptGroups: Record<string, number> | null;
}

export async function loadActivationEvalSet(
  dataset: ActivationDataset,
  heldOut: number,
  concepts: Partial<ConceptBankOptions> = {},
): Promise<ActivationEvalData> {
  const start = await heldOutStart(dataset, heldOut);
  const rows = dataset.rows - start;
  const x = await dataset.readRows(start, rows);
  const tokens = dataset.hasTokens ? await dataset.readTokens(start, rows) : null;
  const vocab = tokens ? await dataset.vocab() : null;
  if (!tokens || !vocab) return { set: { x, rows }, start, tokens, conceptGroups: null };
  const bank = buildConceptBank(tokens, vocab, concepts);
  const conceptGroups: Record<string, number> = {};
  for (const g of bank.groups) conceptGroups[g] = (conceptGroups[g] ?? 0) + 1;
  return {
    set: {
      x,
      rows,
      concepts: { labels: bank.labels, count: bank.count, names: bank.names, groups: bank.groups },
      tokenText: Array.from(tokens.ids, (id) => vocab[id]!),
    },
    start,
    tokens,
    conceptGroups,
  };
}
