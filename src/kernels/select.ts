import { type FloatArray, floatCtor, type SparseRows } from "./arrays.js";

/**
 * Selection without sorting everything: a quickselect finds the cut value in
 * O(n) expected time, then one pass gathers the winners in row order.
 */

/**
 * The `count` largest positive entries of P[rows, m] over the whole batch
 * (BatchTopK). A strided sample gives a safe lower bound on the cut, so one
 * branch-free pass over P collects a few candidates and only those are
 * quickselected; if the bound was too high the pass is redone from 0.
 */
export function selectBatchTopK(p: FloatArray, rows: number, m: number, count: number): SparseRows {
  const total = rows * m;
  let bound = count < total / 4 ? sampledLowerBound(p, total, count) : 0;
  let candidates = collectAbove(p, 0, total, bound);
  if (candidates.count < count && bound > 0) {
    bound = 0;
    candidates = collectAbove(p, 0, total, bound);
  }
  const keep = Math.min(count, candidates.count);
  const values = candidates.values.subarray(0, candidates.count);
  const cut = keep > 0 ? kthLargest(values.slice(), keep) : Number.POSITIVE_INFINITY;
  let aboveCut = 0;
  for (let i = 0; i < values.length; i++) aboveCut += values[i]! > cut ? 1 : 0;
  // Entries strictly above the cut all win; ties at the cut fill the rest, first come first served.
  let tiesLeft = keep - aboveCut;
  const out = new SparseBuilder(rows, keep, floatCtor(p));
  let row = 0;
  for (let i = 0; i < candidates.count; i++) {
    const v = values[i]!;
    if (v > cut || (v === cut && tiesLeft-- > 0)) {
      const at = candidates.positions[i]!;
      const t = Math.floor(at / m);
      while (row < t) {
        out.endRow();
        row++;
      }
      out.push(at - t * m, v);
    }
  }
  while (row < rows) {
    out.endRow();
    row++;
  }
  return out.finish();
}

/** A value below which (with a wide margin) no winner of the top `count` of `total` lies; 0 if unsure. */
function sampledLowerBound(p: FloatArray, total: number, count: number): number {
  const samples = Math.min(total, 16384);
  const sample = new Float64Array(samples);
  let h = 0x9e3779b9;
  for (let s = 0; s < samples; s++) {
    h = (Math.imul(h, 1664525) + 1013904223) >>> 0; // LCG: spread the sample over rows and columns
    sample[s] = p[h % total]!;
  }
  // Twice the expected number of sampled winners, plus slack, keeps the bound safely below the true cut.
  const rank = Math.min(samples, Math.ceil((2 * count * samples) / total) + 64);
  return Math.max(0, kthLargest(sample, rank));
}

/** Values > max(bound, 0) of p[from, to) and their positions, collected without data-dependent branches. */
function collectAbove(
  p: FloatArray,
  from: number,
  to: number,
  bound: number,
): { values: FloatArray; positions: Int32Array; count: number } {
  let n = 0;
  const values = new (floatCtor(p))(to - from);
  const positions = new Int32Array(to - from);
  for (let i = from; i < to; i++) {
    const v = p[i]!;
    values[n] = v;
    positions[n] = i;
    n += v > bound && v > 0 ? 1 : 0;
  }
  return { values, positions, count: n };
}

/** The `k` largest positive entries of each row (TopK). */
export function selectTopK(p: FloatArray, rows: number, m: number, k: number): SparseRows {
  const out = new SparseBuilder(rows, rows * k, floatCtor(p));
  for (let t = 0; t < rows; t++) {
    const base = t * m;
    const { values, count } = collectAbove(p, base, base + m, 0);
    const positives = values.subarray(0, count);
    const keep = Math.min(k, positives.length);
    const cut = keep > 0 ? kthLargest(positives, keep) : Number.POSITIVE_INFINITY;
    let aboveCut = 0;
    for (let i = 0; i < positives.length; i++) if (positives[i]! > cut) aboveCut++;
    let tiesLeft = keep - aboveCut;
    for (let j = 0; j < m; j++) {
      const v = p[base + j]!;
      if (v > cut || (v === cut && tiesLeft-- > 0)) out.push(j, v);
    }
    out.endRow();
  }
  return out.finish();
}

/** Entries with P[t, j] > threshold[j] (JumpReLU inference with the learned τ). */
export function selectAboveThreshold(
  p: FloatArray,
  rows: number,
  m: number,
  threshold: FloatArray,
): SparseRows {
  const out = new SparseBuilder(rows, rows * 8, floatCtor(p));
  for (let t = 0; t < rows; t++) {
    const base = t * m;
    for (let j = 0; j < m; j++) {
      const v = p[base + j]!;
      if (v > threshold[j]! && v > 0) out.push(j, v);
    }
    out.endRow();
  }
  return out.finish();
}

/** The k-th largest value (1-based) of `a`, which it reorders. Hoare-partition quickselect, median-of-three. */
export function kthLargest(a: FloatArray, k: number): number {
  if (k < 1 || k > a.length) throw new RangeError(`kthLargest: k=${k} outside 1..${a.length}`);
  const target = k - 1; // index in descending order
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const pivot = median3(a[lo]!, a[mid]!, a[hi]!);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const tmp = a[i]!;
        a[i] = a[j]!;
        a[j] = tmp;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target]!;
  }
  return a[target]!;
}

function median3(x: number, y: number, z: number): number {
  return Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
}

/** Grows compressed rows entry by entry. */
export class SparseBuilder {
  private rowStart: Int32Array;
  private index: Int32Array;
  private value: FloatArray;
  private n = 0;
  private row = 0;

  constructor(
    private readonly rows: number,
    capacity: number,
    private readonly ctor: Float32ArrayConstructor | Float64ArrayConstructor,
  ) {
    this.rowStart = new Int32Array(rows + 1);
    this.index = new Int32Array(Math.max(capacity, 16));
    this.value = new ctor(Math.max(capacity, 16));
  }

  push(j: number, v: number): void {
    if (this.n === this.index.length) {
      const index = new Int32Array(this.n * 2);
      index.set(this.index);
      this.index = index;
      const value = new this.ctor(this.n * 2);
      value.set(this.value);
      this.value = value;
    }
    this.index[this.n] = j;
    this.value[this.n++] = v;
  }

  endRow(): void {
    this.rowStart[++this.row] = this.n;
  }

  finish(): SparseRows {
    if (this.row !== this.rows)
      throw new Error(`SparseBuilder: ${this.row} rows ended, expected ${this.rows}`);
    return {
      rows: this.rows,
      rowStart: this.rowStart,
      index: this.index.subarray(0, this.n),
      value: this.value.subarray(0, this.n),
    };
  }
}

/** TopK among the given columns of each row (AuxK over the dead latents); indices are columns of P, ascending. */
export function selectTopKAmong(
  p: FloatArray,
  rows: number,
  m: number,
  columns: Int32Array,
  k: number,
): SparseRows {
  const n = columns.length;
  const gathered = new (floatCtor(p))(rows * n);
  for (let t = 0; t < rows; t++) for (let i = 0; i < n; i++) gathered[t * n + i] = p[t * m + columns[i]!]!;
  const picked = selectTopK(gathered, rows, n, k);
  return { ...picked, index: picked.index.map((i) => columns[i]!) };
}
