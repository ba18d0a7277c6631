/**
 * Points for the ‖x‖-against-activation plot of one latent: a seeded sample of
 * the tokens it fires on and, at activation 0, of the tokens it does not, so a
 * norm detector shows as fires bunched at large ‖x‖ and silence below.
 */

import type { SparseRows } from "../kernels/arrays.js";
import { Rng } from "../util/rng.js";
import type { LatentLists } from "./latent-lists.js";
import { roundSignificant } from "./round-significant.js";
import { sampleIndices } from "./sample.js";
import { codeOf } from "./token-window.js";

/** Stream id of the scatter's generator (the bands use another). */
const SCATTER_STREAM = 2;

export function normScatter(
  codes: SparseRows,
  lists: LatentLists,
  norms: ArrayLike<number>,
  latent: number,
  firing: number,
  silent: number,
  seed: number,
): { norm: number[]; act: number[] } {
  const rng = new Rng(seed, SCATTER_STREAM, latent);
  const norm: number[] = [];
  const act: number[] = [];
  const a = lists.start[latent]!;
  const fires = lists.start[latent + 1]! - a;
  for (const k of sampleIndices(rng, fires, firing)) {
    norm.push(roundSignificant(norms[lists.row[a + k]!]!));
    act.push(roundSignificant(lists.value[a + k]!));
  }
  for (const t of silentRows(codes, latent, fires, silent, rng)) {
    norm.push(roundSignificant(norms[t]!));
    act.push(0);
  }
  return { norm, act };
}

/** Up to `count` distinct rows where the latent does not fire, uniformly, ascending. */
function silentRows(codes: SparseRows, latent: number, fires: number, count: number, rng: Rng): number[] {
  const n = codes.rows;
  const silent = n - fires;
  const firesOn = (t: number) => codeOf(codes, t, latent) > 0;
  if (count <= 0 || silent <= 0) return [];
  if (silent <= 2 * count || fires > n / 2) {
    // Few silent rows (or a dense latent): list them, then sample.
    const rows: number[] = [];
    for (let t = 0; t < n; t++) if (!firesOn(t)) rows.push(t);
    return sampleIndices(rng, rows.length, count).map((i) => rows[i]!);
  }
  // Most rows are silent: rejection sampling takes fewer than two draws per point.
  const picked = new Set<number>();
  while (picked.size < count) {
    const t = rng.int(n);
    if (!firesOn(t)) picked.add(t);
  }
  return [...picked].sort((x, y) => x - y);
}
