import type { SparseRows } from "../kernels/arrays.js";

/**
 * Collects, per concept, the rows it holds on, then turns them into per-row
 * label lists. Concepts are created on first use, so a group only names the
 * concepts it meets; filtering and ordering happen once at the end.
 */
export class ConceptLabels {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly groups: string[] = [];
  // Growable Int32 lists: a bank over a million tokens holds tens of millions of labels.
  private readonly rowsOf: Int32Array[] = [];
  private readonly lengths: number[] = [];

  constructor(readonly tokenCount: number) {}

  /** The handle of concept `name` in `group`, created when new. */
  concept(group: string, name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
      this.groups.push(group);
      this.rowsOf.push(new Int32Array(16));
      this.lengths.push(0);
    } else if (this.groups[id] !== group) {
      throw new Error(`concept ${name} is in group ${this.groups[id]}, not ${group}`);
    }
    return id;
  }

  /** Concept `id` holds on `row` (repeats are dropped at the end). */
  add(id: number, row: number): void {
    let rows = this.rowsOf[id]!;
    const length = this.lengths[id]!;
    if (length > 0 && rows[length - 1] === row) return;
    if (length === rows.length) {
      const grown = new Int32Array(rows.length * 2);
      grown.set(rows);
      this.rowsOf[id] = rows = grown;
    }
    rows[length] = row;
    this.lengths[id] = length + 1;
  }

  /**
   * The concepts kept, ordered by group (in `groupOrder`) then by name (code-point
   * order, so the result does not depend on the locale). Dropped: those on fewer
   * than `minCount` rows, those on every row, and — when `dropDuplicates` — those
   * on exactly the same rows as a concept earlier in that order.
   */
  finish(groupOrder: readonly string[], minCount: number, dropDuplicates: boolean): FinishedLabels {
    const n = this.tokenCount;
    const rank = (g: string) => {
      const i = groupOrder.indexOf(g);
      return i < 0 ? groupOrder.length : i;
    };
    const order = this.names.map((_, i) => i);
    order.sort((a, b) => {
      const byGroup = rank(this.groups[a]!) - rank(this.groups[b]!);
      if (byGroup !== 0) return byGroup;
      const x = this.names[a]!;
      const y = this.names[b]!;
      return x < y ? -1 : x > y ? 1 : 0;
    });

    const kept: { name: string; group: string; rows: Int32Array }[] = [];
    const duplicates: { name: string; sameAs: string }[] = [];
    const seen = new Map<string, number[]>(); // fingerprint → indices into kept
    for (const i of order) {
      const rows = uniqueSorted(this.rowsOf[i]!.subarray(0, this.lengths[i]!));
      if (rows.length < minCount || rows.length === n) continue;
      if (dropDuplicates) {
        const key = fingerprint(rows);
        const same = seen.get(key)?.find((k) => equalRows(kept[k]!.rows, rows));
        if (same !== undefined) {
          duplicates.push({ name: this.names[i]!, sameAs: kept[same]!.name });
          continue;
        }
        const list = seen.get(key);
        if (list === undefined) seen.set(key, [kept.length]);
        else list.push(kept.length);
      }
      kept.push({ name: this.names[i]!, group: this.groups[i]!, rows });
    }

    // Filling concept by concept in order leaves each row's indices ascending.
    const rowStart = new Int32Array(n + 1);
    for (const c of kept) for (const r of c.rows) rowStart[r + 1]!++;
    for (let r = 0; r < n; r++) rowStart[r + 1]! += rowStart[r]!;
    const fill = rowStart.slice(0, n);
    const index = new Int32Array(rowStart[n]!);
    kept.forEach((c, j) => {
      for (const r of c.rows) index[fill[r]!++] = j;
    });
    const value = new Float32Array(index.length).fill(1);
    return {
      names: kept.map((c) => c.name),
      groups: kept.map((c) => c.group),
      labels: { rows: n, rowStart, index, value },
      tokenCounts: Int32Array.from(kept, (c) => c.rows.length),
      duplicates,
    };
  }
}

export interface FinishedLabels {
  names: string[];
  groups: string[];
  labels: SparseRows;
  tokenCounts: Int32Array;
  duplicates: { name: string; sameAs: string }[];
}

function uniqueSorted(rows: Int32Array): Int32Array {
  const a = rows.slice();
  for (let i = 1; i < a.length; i++) {
    if (a[i]! < a[i - 1]!) {
      a.sort();
      break;
    }
  }
  let out = 0;
  for (let i = 0; i < a.length; i++) if (out === 0 || a[i] !== a[out - 1]) a[out++] = a[i]!;
  return a.subarray(0, out);
}

function fingerprint(rows: Int32Array): string {
  let h = 0x811c9dc5;
  for (const r of rows) h = Math.imul(h ^ r, 0x01000193);
  return `${rows.length}:${h >>> 0}`;
}

function equalRows(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
