/**
 * The block shuffle that lets a dataset larger than memory be trained on in
 * a seeded, resumable order. Pure arithmetic; activation-source.ts does the I/O.
 *
 * Rows are split into chunks of `chunkRows` consecutive rows (the last may be
 * short; chunks ignore shard boundaries). Epoch e permutes the chunk order
 * with Rng(seed, TAG, e) and groups consecutive permuted chunks into windows
 * of `windowChunks` chunks; the rows of window w are then permuted with
 * Rng(seed, TAG, e, w). The training stream is epoch 0's windows in order,
 * then epoch 1's, and so on, so stream position p lies in epoch
 * floor(p / rows) and every row is visited exactly once per epoch. Any
 * position maps to (epoch, window, offset) without state, so a batch is a
 * pure function of its index and resume needs no saved buffer.
 */
import { Rng } from "../util/rng.js";

const TAG = 0x626c6b73; // "blks": keeps these streams apart from other uses of the seed

export interface WindowKey {
  epoch: number;
  window: number;
}

/** A run of consecutive stream positions inside one window. */
export interface StreamSegment extends WindowKey {
  /** position inside the window's row order */
  offset: number;
  count: number;
}

/** Fisher–Yates permutation of 0..n-1. */
function permutation(n: number, rng: Rng): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

export class BlockShuffle {
  readonly chunks: number;
  readonly windowsPerEpoch: number;
  /** the last two epochs' layouts (a batch may straddle an epoch boundary) */
  private readonly layouts = new Map<number, { order: Uint32Array; starts: number[] }>();

  constructor(
    readonly rows: number,
    readonly chunkRows: number,
    readonly windowChunks: number,
    readonly seed: number,
  ) {
    if (!(rows >= 1 && chunkRows >= 1 && windowChunks >= 1)) {
      throw new RangeError(
        `BlockShuffle: rows ${rows}, chunkRows ${chunkRows}, windowChunks ${windowChunks}; expected >= 1`,
      );
    }
    this.chunks = Math.ceil(rows / chunkRows);
    this.windowsPerEpoch = Math.ceil(this.chunks / windowChunks);
  }

  /** Largest window, in rows. */
  get maxWindowRows(): number {
    return Math.min(this.windowChunks * this.chunkRows, this.rows);
  }

  /** Dataset rows [start, end) of chunk `c`. */
  chunkRange(c: number): [number, number] {
    return [c * this.chunkRows, Math.min((c + 1) * this.chunkRows, this.rows)];
  }

  private epochLayout(epoch: number): { order: Uint32Array; starts: number[] } {
    const cached = this.layouts.get(epoch);
    if (cached) return cached;
    const order = permutation(this.chunks, new Rng(this.seed, TAG, epoch));
    // starts[w]: stream offset within the epoch where window w starts; starts[windowsPerEpoch] = rows.
    const starts = [0];
    for (let w = 0; w < this.windowsPerEpoch; w++) {
      let rows = 0;
      for (const c of order.subarray(w * this.windowChunks, (w + 1) * this.windowChunks)) {
        const [a, b] = this.chunkRange(c);
        rows += b - a;
      }
      starts.push(starts[w]! + rows);
    }
    if (this.layouts.size >= 2) this.layouts.delete(this.layouts.keys().next().value!);
    const layout = { order, starts };
    this.layouts.set(epoch, layout);
    return layout;
  }

  /** The chunks of a window, ascending (their row order comes from {@link rowOrder}). */
  windowChunkList(key: WindowKey): number[] {
    const { order } = this.epochLayout(key.epoch);
    const w = key.window;
    return Array.from(order.subarray(w * this.windowChunks, (w + 1) * this.windowChunks)).sort(
      (a, b) => a - b,
    );
  }

  /** Rows in a window. */
  windowRows(key: WindowKey): number {
    const { starts } = this.epochLayout(key.epoch);
    return starts[key.window + 1]! - starts[key.window]!;
  }

  /** The order in which a window's rows (indexed in its ascending-chunk layout) are visited. */
  rowOrder(key: WindowKey, rows: number): Uint32Array {
    return permutation(rows, new Rng(this.seed, TAG, key.epoch, key.window));
  }

  /** The window after `key` in the stream. */
  nextWindow(key: WindowKey): WindowKey {
    return key.window + 1 < this.windowsPerEpoch
      ? { epoch: key.epoch, window: key.window + 1 }
      : { epoch: key.epoch + 1, window: 0 };
  }

  /** Stream positions [position, position + count) as per-window segments, in order. */
  segments(position: number, count: number): StreamSegment[] {
    const out: StreamSegment[] = [];
    let p = position;
    let left = count;
    while (left > 0) {
      const epoch = Math.floor(p / this.rows);
      const inEpoch = p - epoch * this.rows;
      const { starts } = this.epochLayout(epoch);
      let lo = 0;
      let hi = this.windowsPerEpoch - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid]! <= inEpoch) lo = mid;
        else hi = mid - 1;
      }
      const offset = inEpoch - starts[lo]!;
      const n = Math.min(left, starts[lo + 1]! - inEpoch);
      out.push({ epoch, window: lo, offset, count: n });
      p += n;
      left -= n;
    }
    return out;
  }
}
