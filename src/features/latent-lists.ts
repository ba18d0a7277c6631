/**
 * The codes transposed to latent order: for each latent, the tokens it fires on
 * (value > 0) with their activations, highest first. One counting sort over
 * all entries (transposeCodes), then one sort per latent; every per-latent view of the feature
 * cache (top contexts, bands, histogram, scatter) reads these lists.
 */
import type { SparseRows } from "../kernels/arrays.js";
import { transposeCodes } from "../kernels/sparse.js";

export interface LatentLists {
  readonly m: number;
  /** latent j's fires are start[j] ≤ e < start[j + 1] */
  readonly start: Int32Array;
  /** the row (of the codes) of each fire */
  readonly row: Int32Array;
  /** its activation; within a latent descending, ties by row ascending */
  readonly value: Float64Array;
}

export function latentLists(codes: SparseRows, m: number): LatentLists {
  const end = codes.rowStart[codes.rows]!;
  for (let i = codes.rowStart[0]!; i < end; i++) {
    const j = codes.index[i]!;
    if (j < 0 || j >= m) throw new RangeError(`latentLists: latent ${j} outside [0, ${m})`);
  }
  // The backward pass's counting sort, keeping the fires (value > 0) in row order.
  const byLatent = transposeCodes(codes, m);
  const start = new Int32Array(m + 1);
  const allRows = new Int32Array(end);
  const allValues = new Float64Array(end);
  let kept = 0;
  for (let j = 0; j < m; j++) {
    for (let e = byLatent.start[j]!; e < byLatent.start[j + 1]!; e++) {
      const v = codes.value[byLatent.entry[e]!]!;
      if (!(v > 0)) continue;
      allRows[kept] = byLatent.token[e]!;
      allValues[kept++] = v;
    }
    start[j + 1] = kept;
  }
  const row = allRows.subarray(0, kept);
  const value = allValues.subarray(0, kept);
  // Rows arrive in ascending order, so sorting positions by (value desc, position asc) breaks ties by row.
  let longest = 0;
  for (let j = 0; j < m; j++) longest = Math.max(longest, start[j + 1]! - start[j]!);
  const order = new Int32Array(longest);
  const rowTmp = new Int32Array(longest);
  const valueTmp = new Float64Array(longest);
  for (let j = 0; j < m; j++) {
    const a = start[j]!;
    const n = start[j + 1]! - a;
    if (n < 2) continue;
    const o = order.subarray(0, n);
    for (let k = 0; k < n; k++) o[k] = k;
    o.sort((p, q) => value[a + q]! - value[a + p]! || p - q);
    for (let k = 0; k < n; k++) {
      rowTmp[k] = row[a + o[k]!]!;
      valueTmp[k] = value[a + o[k]!]!;
    }
    row.set(rowTmp.subarray(0, n), a);
    value.set(valueTmp.subarray(0, n), a);
  }
  return { m, start, row, value };
}

/** Number of tokens latent j fires on. */
export function fires(lists: LatentLists, j: number): number {
  return lists.start[j + 1]! - lists.start[j]!;
}
