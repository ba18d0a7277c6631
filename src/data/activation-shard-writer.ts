/**
 * Writes an activation dataset folder shard by shard, for producers such as
 * `cosae harvest`. Rows arrive in `append` calls with their tokens; a shard is
 * cut at a sequence boundary once `shardRows` rows are buffered, written
 * atomically (temp file + rename), and only then listed in a rewritten
 * manifest together with the resume cursor. A producer killed at any moment
 * therefore leaves complete shards and a manifest listing exactly those;
 * `ActivationShardWriter.open(folder, {resume: true})` removes stray temp and
 * unlisted files and continues at `writer.next.sequence`.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeJsonAtomic } from "../io/atomic-write.js";
import { f32ToBf16, f32ToF16 } from "../io/half.js";
import { writeNpy } from "../io/npy.js";
import { type TensorEntry, writeSafetensors } from "../io/safetensors.js";
import type { TokenRows } from "./activation-file.js";
import {
  type ActivationDType,
  type ActivationFileFormat,
  type ActivationManifest,
  type ActivationProvenance,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  type ManifestShard,
  readActivationManifest,
  shardFileName,
  tokensFileFor,
} from "./activation-manifest.js";

export interface ShardWriterOptions extends Partial<ActivationProvenance> {
  d: number;
  /** stored dtype (default f32; bf16 needs fileFormat safetensors) */
  dtype?: ActivationDType;
  /** default safetensors */
  fileFormat?: ActivationFileFormat;
  /** rows per shard before it is cut at the next sequence boundary (default 65536) */
  shardRows?: number;
  /** continue a folder that already has a manifest (otherwise such a folder is refused) */
  resume?: boolean;
  /** token id -> display string, written to vocab.json */
  vocab?: readonly string[];
}

export class ShardWriterError extends Error {
  override name = "ShardWriterError";
}

const VOCAB_FILE = "vocab.json";

/** A growable row buffer: activations [rows, d] plus the three token columns. */
class PendingRows {
  x: Float32Array;
  ids: Int32Array;
  sequence: Int32Array;
  position: Int32Array;
  rows = 0;

  constructor(private readonly d: number) {
    this.x = new Float32Array(0);
    this.ids = new Int32Array(0);
    this.sequence = new Int32Array(0);
    this.position = new Int32Array(0);
  }

  push(x: Float32Array, t: TokenRows): void {
    const n = t.ids.length;
    const need = this.rows + n;
    if (need > this.ids.length) {
      const cap = Math.max(need, this.ids.length * 2, 1024);
      const grow = <T extends Float32Array | Int32Array>(a: T, make: (k: number) => T, per: number): T => {
        const b = make(cap * per);
        b.set(a.subarray(0, this.rows * per));
        return b;
      };
      this.x = grow(this.x, (k) => new Float32Array(k), this.d);
      this.ids = grow(this.ids, (k) => new Int32Array(k), 1);
      this.sequence = grow(this.sequence, (k) => new Int32Array(k), 1);
      this.position = grow(this.position, (k) => new Int32Array(k), 1);
    }
    this.x.set(x, this.rows * this.d);
    this.ids.set(t.ids, this.rows);
    this.sequence.set(t.sequence, this.rows);
    this.position.set(t.position, this.rows);
    this.rows = need;
  }

  /** Removes and returns the first `n` rows (copies). */
  take(n: number): { x: Float32Array; tokens: TokenRows } {
    const d = this.d;
    const out = {
      x: this.x.slice(0, n * d),
      tokens: {
        ids: this.ids.slice(0, n),
        sequence: this.sequence.slice(0, n),
        position: this.position.slice(0, n),
      },
    };
    this.x.copyWithin(0, n * d, this.rows * d);
    for (const a of [this.ids, this.sequence, this.position]) a.copyWithin(0, n, this.rows);
    this.rows -= n;
    return out;
  }
}

export class ActivationShardWriter {
  private readonly pending: PendingRows;
  private lastSequence: number;
  private finished = false;

  private constructor(
    readonly folder: string,
    private manifest: ActivationManifest,
    readonly shardRows: number,
  ) {
    this.pending = new PendingRows(manifest.d);
    this.lastSequence = manifest.next.sequence - 1;
  }

  /**
   * Start a dataset in `folder`, or with `resume` continue the one there (its
   * d, dtype, fileFormat and any provenance given must match the options). A folder without a
   * manifest starts fresh either way.
   */
  static async open(folder: string, options: ShardWriterOptions): Promise<ActivationShardWriter> {
    const dtype = options.dtype ?? "f32";
    const fileFormat = options.fileFormat ?? "safetensors";
    const shardRows = options.shardRows ?? 65536;
    if (!Number.isSafeInteger(options.d) || options.d < 1) {
      throw new ShardWriterError(`${folder}: option "d" is ${options.d}; expected an integer >= 1`);
    }
    if (!Number.isSafeInteger(shardRows) || shardRows < 1) {
      throw new ShardWriterError(`${folder}: option "shardRows" is ${shardRows}; expected an integer >= 1`);
    }
    if (fileFormat === "npy" && dtype === "bf16") {
      throw new ShardWriterError(
        `${folder}: dtype bf16 cannot be stored in .npy; use fileFormat "safetensors"`,
      );
    }
    await mkdir(folder, { recursive: true });
    const manifestPath = join(folder, MANIFEST_FILE);
    if (existsSync(manifestPath)) {
      if (!options.resume) {
        throw new ShardWriterError(
          `${folder}: already holds an activation dataset (${MANIFEST_FILE}); open with resume to continue it`,
        );
      }
      const manifest = await readActivationManifest(folder);
      // The continuation must be the same recipe: shape and storage, and the provenance the producer gives.
      const provenance = (["model", "tokenizer", "hook", "source", "contextLength", "createdBy"] as const)
        .filter((field) => options[field] !== undefined)
        .map((field) => [field, options[field]] as const);
      for (const [field, want] of [
        ["d", options.d],
        ["dtype", dtype],
        ["fileFormat", fileFormat],
        ...provenance,
      ] as const) {
        if (manifest[field] !== want) {
          throw new ShardWriterError(
            `${manifestPath}: field "${field}" is ${manifest[field]}; the writer was opened with ${want}`,
          );
        }
      }
      if (manifest.complete) {
        throw new ShardWriterError(`${manifestPath}: the dataset is complete; nothing to resume`);
      }
      await removeUnlisted(folder, manifest);
      return new ActivationShardWriter(folder, manifest, shardRows);
    }
    await removeUnlisted(folder, null);
    let vocab: string | null = null;
    if (options.vocab) {
      await writeJsonAtomic(join(folder, VOCAB_FILE), options.vocab);
      vocab = VOCAB_FILE;
    }
    const manifest: ActivationManifest = {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      d: options.d,
      dtype,
      fileFormat,
      rows: 0,
      model: options.model ?? null,
      tokenizer: options.tokenizer ?? null,
      hook: options.hook ?? null,
      source: options.source ?? null,
      contextLength: options.contextLength ?? null,
      createdBy: options.createdBy ?? null,
      vocab,
      shards: [],
      complete: false,
      next: { sequence: 0, rows: 0 },
    };
    await writeJsonAtomic(manifestPath, manifest);
    return new ActivationShardWriter(folder, manifest, shardRows);
  }

  /** Where the producer continues: the first sequence index not yet stored, and the rows stored so far. */
  get next(): { sequence: number; rows: number } {
    return { ...this.manifest.next };
  }

  /** Rows appended but not yet in a complete shard. */
  get pendingRows(): number {
    return this.pending.rows;
  }

  /**
   * Add rows [n, d] with their tokens. Sequence indices must not decrease
   * (a sequence's rows are contiguous) and start at `next.sequence` or later.
   */
  async append(rows: Float32Array, tokens: TokenRows): Promise<void> {
    if (this.finished) throw new ShardWriterError(`${this.folder}: append after finish()`);
    const d = this.manifest.d;
    const n = tokens.ids.length;
    if (rows.length !== n * d) {
      throw new ShardWriterError(
        `${this.folder}: append: ${rows.length} values for ${n} token rows; expected ${n} x d=${d} = ${n * d}`,
      );
    }
    for (const field of ["sequence", "position"] as const) {
      if (tokens[field].length !== n) {
        throw new ShardWriterError(
          `${this.folder}: append: tokens.${field} has ${tokens[field].length} entries; expected ${n}`,
        );
      }
    }
    let previous = this.pending.rows > 0 ? this.pending.sequence[this.pending.rows - 1]! : this.lastSequence;
    for (let i = 0; i < n; i++) {
      const s = tokens.sequence[i]!;
      if (s < previous || (s === previous && this.pending.rows === 0 && i === 0)) {
        throw new ShardWriterError(
          `${this.folder}: append: row ${i} has sequence ${s} after sequence ${previous}; expected ` +
            `non-decreasing sequence indices starting at ${this.manifest.next.sequence} or later`,
        );
      }
      previous = s;
    }
    this.pending.push(rows, tokens);
    await this.flushFull();
  }

  /** Write the remaining rows as the last shard and mark the dataset complete. */
  async finish(): Promise<ActivationManifest> {
    if (this.finished) throw new ShardWriterError(`${this.folder}: finish() called twice`);
    await this.flushFull();
    if (this.pending.rows > 0) await this.writeShard(this.pending.rows);
    this.finished = true;
    this.manifest = { ...this.manifest, complete: true };
    await writeJsonAtomic(join(this.folder, MANIFEST_FILE), this.manifest);
    return this.manifest;
  }

  /** Cut shards while a full one is buffered and its end lies at a known sequence boundary. */
  private async flushFull(): Promise<void> {
    while (this.pending.rows > this.shardRows) {
      const cut = shardCut(this.pending.sequence, this.pending.rows, this.shardRows);
      if (cut === null) return; // one long sequence still open: wait for its end
      await this.writeShard(cut);
    }
  }

  private async writeShard(n: number): Promise<void> {
    const index = this.manifest.shards.length;
    const file = shardFileName(index, this.manifest.fileFormat);
    const { x, tokens } = this.pending.take(n);
    await writeShardFile(join(this.folder, file), this.manifest.dtype, this.manifest.fileFormat, x, tokens);
    const shard: ManifestShard = {
      file,
      rows: n,
      firstSequence: tokens.sequence[0]!,
      lastSequence: tokens.sequence[n - 1]!,
    };
    this.lastSequence = shard.lastSequence;
    const rows = this.manifest.rows + n;
    this.manifest = {
      ...this.manifest,
      rows,
      shards: [...this.manifest.shards, shard],
      next: { sequence: shard.lastSequence + 1, rows },
    };
    await writeJsonAtomic(join(this.folder, MANIFEST_FILE), this.manifest);
  }
}

/**
 * Where to end a shard among `rows` buffered rows: the last sequence boundary
 * at or before `shardRows`, else the first one after it, else null (the open
 * sequence may continue). Needs rows > shardRows so a boundary exactly at
 * shardRows is visible.
 */
export function shardCut(sequence: Int32Array, rows: number, shardRows: number): number | null {
  for (let i = Math.min(shardRows, rows - 1); i > 0; i--) if (sequence[i] !== sequence[i - 1]) return i;
  for (let i = shardRows + 1; i < rows; i++) if (sequence[i] !== sequence[i - 1]) return i;
  return null;
}

/** One shard's files, each written atomically; for npy the token table goes first. */
export async function writeShardFile(
  path: string,
  dtype: ActivationDType,
  fileFormat: ActivationFileFormat,
  x: Float32Array,
  tokens: TokenRows,
): Promise<void> {
  const n = tokens.ids.length;
  const d = x.length / n;
  if (fileFormat === "npy") {
    const table = new Int32Array(3 * n);
    for (let i = 0; i < n; i++) {
      table[3 * i] = tokens.ids[i]!;
      table[3 * i + 1] = tokens.sequence[i]!;
      table[3 * i + 2] = tokens.position[i]!;
    }
    await writeNpy(tokensFileFor(path), table, [n, 3]);
    await writeNpy(path, dtype === "f16" ? f32ToF16(x) : x, [n, d]);
    return;
  }
  const activations: TensorEntry =
    dtype === "f32"
      ? { dtype: "F32", shape: [n, d], data: x }
      : dtype === "f16"
        ? { dtype: "F16", shape: [n, d], data: f32ToF16(x) }
        : { dtype: "BF16", shape: [n, d], data: f32ToBf16(x) };
  await writeSafetensors(
    path,
    {
      activations,
      token_ids: { dtype: "I32", shape: [n], data: tokens.ids },
      sequence: { dtype: "I32", shape: [n], data: tokens.sequence },
      position: { dtype: "I32", shape: [n], data: tokens.position },
    },
    { format: MANIFEST_FORMAT },
  );
}

/**
 * Remove what a killed writer may have left: temp files of atomic writes
 * (`.name.pid.rand.tmp`) and shard files the manifest does not list.
 */
async function removeUnlisted(folder: string, manifest: ActivationManifest | null): Promise<void> {
  const listed = new Set<string>();
  for (const s of manifest?.shards ?? []) {
    listed.add(s.file);
    if (s.file.endsWith(".npy")) listed.add(tokensFileFor(s.file));
  }
  for (const name of await readdir(folder)) {
    const stray =
      (name.startsWith(".") && name.endsWith(".tmp")) || (/^shard-\d+\./.test(name) && !listed.has(name));
    if (stray) await rm(join(folder, name), { force: true });
  }
}
