import type { LatentTable } from "../../features/latent-record.js";

/** The list's sortable columns (keys of the latent table, plus the latent number). */
export type Column = "latent" | "frequency" | "alpha" | "normAuroc" | "bestConcept" | "bestF1" | "topTokens";

export interface SortOrder {
  column: Column;
  descending: boolean;
}

export interface RowFilter {
  /** a latent number, or text found in the best concept or the top tokens (case-insensitive) */
  query: string;
  hideDead: boolean;
  normDetectorsOnly: boolean;
}

/**
 * Sorting and filtering of the m latents, as an index array: the list draws
 * rows from it, so 16k latents cost one sort and one pass, never 16k nodes.
 */
export class LatentRows {
  readonly m: number;
  /** lower-cased search text per latent, made once */
  private readonly concept: string[];
  private readonly tokens: string[];

  constructor(readonly table: LatentTable) {
    this.m = table.frequency.length;
    this.concept = table.bestConcept.map((c) => (c ?? "").toLowerCase());
    this.tokens = table.topTokens.map((t) => t.toLowerCase());
  }

  /** The latents passing `filter`, in `order`; ties and missing values keep latent order, missing last. */
  view(order: SortOrder, filter: RowFilter): Int32Array {
    const query = filter.query.trim().toLowerCase();
    const number = /^\d+$/.test(query) ? Number(query) : -1;
    const kept: number[] = [];
    for (let j = 0; j < this.m; j++) {
      if (filter.hideDead && this.table.frequency[j] === 0) continue;
      if (filter.normDetectorsOnly && !this.table.normDetector[j]) continue;
      if (query && j !== number && !this.concept[j]!.includes(query) && !this.tokens[j]!.includes(query))
        continue;
      kept.push(j);
    }
    const key = this.key(order.column);
    const sign = order.descending ? -1 : 1;
    kept.sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      if (ka === null || kb === null) return ka === kb ? a - b : ka === null ? 1 : -1;
      if (ka < kb) return -sign;
      if (ka > kb) return sign;
      return a - b;
    });
    return Int32Array.from(kept);
  }

  private key(column: Column): (j: number) => number | string | null {
    const t = this.table;
    switch (column) {
      case "latent":
        return (j) => j;
      case "bestConcept":
        return (j) => (t.bestConcept[j] === null ? null : this.concept[j]!);
      case "topTokens":
        return (j) => (t.topTokens[j] === "" ? null : this.tokens[j]!);
      case "normAuroc":
        return (j) => t.normAuroc[j] ?? null;
      default: {
        const values = t[column];
        return (j) => values[j]!;
      }
    }
  }
}
