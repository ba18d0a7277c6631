/**
 * An on-disk activation dataset as a training source with bounded memory:
 * the block shuffle of activation-block-shuffle.ts decides which rows batch i
 * holds; this file loads the windows those rows lie in, keeping the current
 * window and prefetching the next one (asynchronously, while the trainer
 * computes). At most two windows are held, so the buffer never exceeds
 * 2 × windowRows × (4d + 4) bytes (the rows as float32 plus their visiting
 * order), plus the batch being assembled and one chunk being read.
 */
import { BlockShuffle, type WindowKey } from "./activation-block-shuffle.js";
import type { ActivationDataset } from "./activation-dataset.js";
import type { ActivationSource } from "./source.js";

export interface ActivationSourceOptions {
  /** seeds the shuffle (the run's seed) */
  seed: number;
  /** memory for the two buffered windows, in MiB (default 256); ignored when bufferRows is given */
  bufferMiB?: number;
  /** rows held across the two windows */
  bufferRows?: number;
  /** rows per shuffled chunk (default 8192; lowered to fit the buffer) */
  chunkRows?: number;
  /** train on the first `rows` rows only (the rest is held out); default all */
  rows?: number;
}

interface Window {
  key: WindowKey;
  /** the window's chunk list, joined: windows with the same chunks share `data` */
  chunkKey: string;
  /** the window's (finite) rows, ascending-chunk layout, [rows, d] */
  data: Float32Array;
  rows: number;
  /** visiting order of the rows */
  order: Uint32Array;
}

const MiB = 1 << 20;

function formatBytes(n: number): string {
  return n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

function sameKey(a: WindowKey, b: WindowKey): boolean {
  return a.epoch === b.epoch && a.window === b.window;
}

export class ActivationStreamSource implements ActivationSource {
  readonly d: number;
  readonly description: string;
  readonly plan: BlockShuffle;
  /** the most bytes the windows may hold: 2 × largest window × (4d + 4) */
  readonly boundBytes: number;

  private current: Window | null = null;
  private next: { key: WindowKey; promise: Promise<Window> } | null = null;
  /** `next`'s window once its load finished (until then its bytes are in loadingBytes) */
  private nextLoaded: Window | null = null;
  /** bytes of windows being loaded (allocated, not yet current or next) */
  private loadingBytes = 0;
  private maxHeld = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dataset: ActivationDataset,
    options: ActivationSourceOptions,
  ) {
    const d = dataset.d;
    const bytesPerRow = 4 * d + 4;
    const mib = options.bufferMiB ?? 256;
    const bufferRows = options.bufferRows ?? Math.floor((mib * MiB) / bytesPerRow);
    const windowTarget = Math.floor(bufferRows / 2);
    if (!(windowTarget >= 1)) {
      throw new RangeError(
        `activation buffer of ${bufferRows} rows is too small: two windows of at least one row of d=${d} ` +
          `need ${2 * bytesPerRow} bytes`,
      );
    }
    const rows = options.rows ?? dataset.rows;
    if (!(rows >= 1 && rows <= dataset.rows)) {
      throw new RangeError(`${dataset.path}: ${rows} training rows asked of a dataset with ${dataset.rows}`);
    }
    const chunkRows = Math.max(1, Math.min(options.chunkRows ?? 8192, windowTarget));
    const windowChunks = Math.max(1, Math.floor(windowTarget / chunkRows));
    this.plan = new BlockShuffle(rows, chunkRows, windowChunks, options.seed);
    this.d = d;
    this.boundBytes = 2 * this.plan.maxWindowRows * bytesPerRow;
    this.description =
      `activations ${dataset.describe()}${rows < dataset.rows ? `, training on rows [0, ${rows})` : ""}; block shuffle: ${chunkRows}-row chunks, ` +
      `${this.plan.maxWindowRows}-row windows, seed ${options.seed}; buffer ≤ ${formatBytes(this.boundBytes)} ` +
      `(2 windows × ${this.plan.maxWindowRows} rows × ${bytesPerRow} B)`;
  }

  /** Bytes of window data and row orders held now (shared data counted once). */
  heldBytes(): number {
    const seen = new Set<Float32Array>();
    let bytes = this.loadingBytes;
    for (const w of [this.current, this.nextLoaded]) {
      if (!w) continue;
      if (!seen.has(w.data)) bytes += w.data.byteLength;
      seen.add(w.data);
      bytes += w.order.byteLength;
    }
    return bytes;
  }

  /** The most {@link heldBytes} ever reached. */
  maxHeldBytes(): number {
    return this.maxHeld;
  }

  private track(): void {
    this.maxHeld = Math.max(this.maxHeld, this.heldBytes());
  }

  trainBatch(index: number, size: number): Promise<Float32Array> {
    // One batch at a time: the window bookkeeping assumes it.
    const result = this.queue.catch(() => undefined).then(() => this.batch(index, size));
    this.queue = result;
    return result;
  }

  private async batch(index: number, size: number): Promise<Float32Array> {
    const { d } = this;
    const out = new Float32Array(size * d);
    let row = 0;
    let last: WindowKey | null = null;
    for (const seg of this.plan.segments(index * size, size)) {
      const w = await this.windowFor(seg);
      for (let i = 0; i < seg.count; i++) {
        const src = w.order[(seg.offset + i) % w.rows]!; // skipped non-finite rows: wrap over the kept ones
        out.set(w.data.subarray(src * d, (src + 1) * d), (row + i) * d);
      }
      row += seg.count;
      last = seg;
    }
    if (last) this.prefetch(this.plan.nextWindow(last));
    return out;
  }

  private async windowFor(key: WindowKey): Promise<Window> {
    if (this.current && sameKey(this.current.key, key)) return this.current;
    if (this.next) {
      const w = await this.next.promise;
      this.next = null;
      this.nextLoaded = null;
      if (sameKey(w.key, key)) {
        this.current = w; // the previous current is dropped here
        this.track();
        return w;
      }
    }
    // A jump (e.g. a resumed run): drop what is held before reading, unless it holds the same rows.
    const like = this.reusable(key, this.current);
    this.current = null;
    this.current = await this.load(key, like);
    this.track();
    return this.current;
  }

  private prefetch(key: WindowKey): void {
    if (this.next || (this.current && sameKey(this.current.key, key))) return;
    const promise = this.load(key, this.reusable(key, this.current)).then((w) => {
      if (this.next?.promise === promise) {
        this.nextLoaded = w;
        this.track();
      }
      return w;
    });
    promise.catch(() => undefined); // reported when the window is needed
    this.next = { key, promise };
  }

  /** `w` when it holds exactly the chunks of window `key` (e.g. one-window epochs), else null. */
  private reusable(key: WindowKey, w: Window | null): Window | null {
    return w && w.chunkKey === this.plan.windowChunkList(key).join(",") ? w : null;
  }

  /** Read a window's chunks (or share `like`'s rows) and draw its row order. */
  private async load(at: WindowKey, like: Window | null): Promise<Window> {
    const key = { epoch: at.epoch, window: at.window }; // not the caller's segment object
    const chunkKey = this.plan.windowChunkList(key).join(",");
    if (like)
      return { key, chunkKey, data: like.data, rows: like.rows, order: this.plan.rowOrder(key, like.rows) };
    const { d } = this;
    const nominal = this.plan.windowRows(key);
    const data = new Float32Array(nominal * d);
    const reserved = data.byteLength + 4 * nominal; // the row order is drawn at the end
    this.loadingBytes += reserved;
    this.track();
    try {
      let rows = 0;
      for (const c of this.plan.windowChunkList(key)) {
        const [a, b] = this.plan.chunkRange(c);
        const x = await this.dataset.readRows(a, b - a);
        data.set(x, rows * d);
        rows += x.length / d;
      }
      if (rows === 0) {
        throw new Error(
          `${this.dataset.path}: every row of chunks ${chunkKey} is non-finite; nothing to train on`,
        );
      }
      return { key, chunkKey, data, rows, order: this.plan.rowOrder(key, rows) };
    } finally {
      this.loadingBytes -= reserved;
    }
  }
}
