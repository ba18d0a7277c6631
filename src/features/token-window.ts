/**
 * A context: the tokens around one token a latent fired on, with that
 * latent's activation on each, cut at the edges of the focus token's sequence
 * (text from another sequence is not context).
 */
import type { TokenRows } from "../data/activation-file.js";
import type { SparseRows } from "../kernels/arrays.js";
import type { TokenContext } from "./latent-record.js";
import { roundSignificant } from "./round-significant.js";

/** Latent j's code on row t (0 when it is not among the row's entries). */
export function codeOf(codes: SparseRows, t: number, j: number): number {
  for (let i = codes.rowStart[t]!; i < codes.rowStart[t + 1]!; i++) {
    if (codes.index[i] === j) return codes.value[i]!;
  }
  return 0;
}

export interface WindowSource {
  codes: SparseRows;
  /** token ids, sequences and positions of the codes' rows */
  tokens: TokenRows;
  /** dataset row of codes row 0 */
  firstRow: number;
  before: number;
  after: number;
}

/** The window of `before` tokens before row t and `after` after it, within t's sequence. */
export function tokenContext(source: WindowSource, t: number, latent: number): TokenContext {
  const { codes, tokens, before, after } = source;
  const sequence = tokens.sequence[t]!;
  let from = t;
  while (from > 0 && t - from < before && tokens.sequence[from - 1] === sequence) from--;
  let to = t + 1;
  while (to < codes.rows && to - t - 1 < after && tokens.sequence[to] === sequence) to++;
  const ids: number[] = [];
  const acts: number[] = [];
  for (let r = from; r < to; r++) {
    ids.push(tokens.ids[r]!);
    acts.push(roundSignificant(codeOf(codes, r, latent)));
  }
  return { row: source.firstRow + t, focus: t - from, tokens: ids, acts };
}
