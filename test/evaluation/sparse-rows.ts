import type { SparseRows } from "../../src/kernels/arrays.js";

/** SparseRows from per-row [index, value] pairs, for hand-made test cases. */
export function sparseRows(rows: ReadonlyArray<ReadonlyArray<readonly [number, number]>>): SparseRows {
  const rowStart = new Int32Array(rows.length + 1);
  for (let t = 0; t < rows.length; t++) rowStart[t + 1] = rowStart[t]! + rows[t]!.length;
  const index = new Int32Array(rowStart[rows.length]!);
  const value = new Float64Array(index.length);
  let i = 0;
  for (const row of rows) {
    for (const [j, v] of row) {
      index[i] = j;
      value[i++] = v;
    }
  }
  return { rows: rows.length, rowStart, index, value };
}

/** SparseRows where row t lists `sets[t]` each with value 1. */
export function indicatorRows(sets: ReadonlyArray<ReadonlyArray<number>>): SparseRows {
  return sparseRows(sets.map((s) => s.map((j) => [j, 1] as const)));
}
