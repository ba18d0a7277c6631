/**
 * An activation dataset on disk: a single `.npy`/`.safetensors` file (one
 * shard), or a folder of shards described by `manifest.json` (see
 * activation-manifest.ts). Opening reads the manifest and each shard's header
 * and checks them against each other; rows are read on demand, by range,
 * across shard boundaries, without loading whole files.
 */
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { describeSystemError, systemErrorCode } from "../util/system-error.js";
import { type ActivationFile, openActivationFile, type TokenRows } from "./activation-file.js";
import {
  type ActivationDType,
  type ActivationManifest,
  MANIFEST_FILE,
  type ManifestShard,
  readActivationManifest,
} from "./activation-manifest.js";
import { firstTokenOutsideVocab } from "./token-id-check.js";

/** What to do with a row holding NaN or ±Inf: fail naming file and row (training's default), or drop it. */
export type NonFiniteRows = "error" | "skip";

export interface ActivationDatasetOptions {
  nonFinite?: NonFiniteRows;
}

export class ActivationDatasetError extends Error {
  override name = "ActivationDatasetError";
}

export class ActivationDataset {
  /** first dataset row of each shard, plus the total at the end */
  private readonly starts: number[];

  private constructor(
    /** the file or folder it was opened from (absolute) */
    readonly path: string,
    readonly d: number,
    readonly dtype: ActivationDType,
    readonly shards: readonly ActivationFile[],
    /** null for a single file */
    readonly manifest: ActivationManifest | null,
    readonly nonFinite: NonFiniteRows,
  ) {
    this.starts = [0];
    for (const s of shards) this.starts.push(this.starts.at(-1)! + s.rows);
  }

  /** Open a file or a shard folder, validating the manifest against every shard header. */
  static async open(path: string, options: ActivationDatasetOptions = {}): Promise<ActivationDataset> {
    const full = resolve(path);
    const nonFinite = options.nonFinite ?? "error";
    if (!existsSync(full)) {
      throw new ActivationDatasetError(
        `${path}: not found; expected a .npy/.safetensors file or a shard folder`,
      );
    }
    if (!statSync(full).isDirectory()) {
      const file = await openActivationFile(full);
      return new ActivationDataset(full, file.d, file.dtype, [file], null, nonFinite);
    }
    const manifestPath = join(full, MANIFEST_FILE);
    if (!existsSync(manifestPath)) {
      throw new ActivationDatasetError(`${full}: folder has no ${MANIFEST_FILE}; expected a shard folder`);
    }
    const manifest = await readActivationManifest(full);
    const shards: ActivationFile[] = [];
    for (const [i, entry] of manifest.shards.entries()) {
      const file = join(full, entry.file);
      if (!existsSync(file)) {
        throw new ActivationDatasetError(
          `${manifestPath}: shards[${i}].file "${entry.file}" is missing (${file})`,
        );
      }
      const extension = entry.file.slice(entry.file.lastIndexOf(".") + 1);
      if (extension !== manifest.fileFormat)
        throw new ActivationDatasetError(
          `${file}: is a .${extension} shard but ${manifestPath} says "fileFormat": "${manifest.fileFormat}" ` +
            `(shards[${i}]); the manifest does not describe these shards: rewrite it or re-harvest`,
        );
      const shard = await openActivationFile(file);
      const mismatch = (field: string, got: unknown, want: unknown) =>
        new ActivationDatasetError(
          `${file}: ${field} is ${got} but ${manifestPath} says ${want}` +
            `${field === "rows" ? ` (shards[${i}].rows)` : ` ("${field}")`}`,
        );
      if (shard.d !== manifest.d) throw mismatch("d", shard.d, manifest.d);
      if (shard.rows !== entry.rows) throw mismatch("rows", shard.rows, entry.rows);
      if (shard.dtype !== manifest.dtype) throw mismatch("dtype", shard.dtype, manifest.dtype);
      if (!shard.hasTokens)
        throw new ActivationDatasetError(`${file}: has no token ids; a shard must carry them`);
      await checkSequenceRange(shard, entry, `${manifestPath} (shards[${i}])`);
      shards.push(shard);
    }
    if (shards.length === 0)
      throw new ActivationDatasetError(
        `${manifestPath}: lists no shards, so the dataset holds no rows` +
          `${manifest.complete ? "" : " yet (the harvest has not written its first shard)"}`,
      );
    const dataset = new ActivationDataset(full, manifest.d, manifest.dtype, shards, manifest, nonFinite);
    await dataset.checkTokenIds();
    return dataset;
  }

  /** Every shard's token ids lie in the vocabulary the manifest names (see token-id-check.ts). */
  private async checkTokenIds(): Promise<void> {
    const vocab = await this.vocab();
    if (vocab === null) return;
    const vocabPath = join(this.path, this.manifest!.vocab!);
    for (const [i, shard] of this.shards.entries()) {
      const bad = await firstTokenOutsideVocab(shard, vocab.length);
      if (bad === null) continue;
      throw new ActivationDatasetError(
        `${shard.path}: row ${bad.row} (dataset row ${this.starts[i]! + bad.row}) has token id ${bad.id}, ` +
          `outside the ${vocab.length} entries of ${vocabPath}; the shards and the vocabulary come from ` +
          "different tokenizers, or the shard is damaged: re-harvest it",
      );
    }
  }

  get rows(): number {
    return this.starts.at(-1)!;
  }

  get hasTokens(): boolean {
    return this.shards.every((s) => s.hasTokens);
  }

  /** The shard holding dataset row `row`, and the row's index inside it. */
  locate(row: number): { shard: number; file: string; row: number } {
    if (!Number.isSafeInteger(row) || row < 0 || row >= this.rows) {
      throw new ActivationDatasetError(`${this.path}: row ${row} is outside its ${this.rows} rows`);
    }
    let lo = 0;
    let hi = this.shards.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= row) lo = mid;
      else hi = mid - 1;
    }
    return { shard: lo, file: this.shards[lo]!.path, row: row - this.starts[lo]! };
  }

  /** Calls `read(shard, rowInShard, count, outRow)` for each shard piece of rows [start, start + count). */
  private async eachPiece(
    start: number,
    count: number,
    read: (shard: ActivationFile, at: number, n: number, outRow: number) => Promise<void>,
  ): Promise<void> {
    if (
      !Number.isSafeInteger(start) ||
      !Number.isSafeInteger(count) ||
      start < 0 ||
      count < 0 ||
      start + count > this.rows
    ) {
      throw new ActivationDatasetError(
        `${this.path}: rows [${start}, ${start + count}) are outside its ${this.rows} rows`,
      );
    }
    let done = 0;
    while (done < count) {
      const where = this.locate(start + done);
      const shard = this.shards[where.shard]!;
      const n = Math.min(count - done, shard.rows - where.row);
      await read(shard, where.row, n, done);
      done += n;
    }
  }

  /**
   * Rows [start, start + count) as float32 [count, d]. A row with NaN or ±Inf
   * is an error naming the file and row (nonFinite "error"), or is left out
   * (nonFinite "skip": the result then holds fewer rows).
   */
  async readRows(start: number, count: number): Promise<Float32Array> {
    const { d } = this;
    const out = new Float32Array(count * d);
    let kept = 0;
    await this.eachPiece(start, count, async (shard, at, n, outRow) => {
      const x = await shard.readRows(at, n);
      for (let r = 0; r < n; r++) {
        const row = x.subarray(r * d, (r + 1) * d);
        const bad = firstNonFinite(row);
        if (bad >= 0) {
          if (this.nonFinite === "skip") continue;
          throw new ActivationDatasetError(
            `${shard.path}: row ${at + r} (dataset row ${start + outRow + r}) ` +
              `has ${row[bad]} at column ${bad}; expected finite activations ` +
              `(nonFinite "skip" leaves such rows out)`,
          );
        }
        out.set(row, kept * d);
        kept++;
      }
    });
    return kept === count ? out : out.slice(0, kept * d);
  }

  /** Token ids, sequence indices and positions of rows [start, start + count). */
  async readTokens(start: number, count: number): Promise<TokenRows> {
    const out: TokenRows = {
      ids: new Int32Array(count),
      sequence: new Int32Array(count),
      position: new Int32Array(count),
    };
    await this.eachPiece(start, count, async (shard, at, n, outRow) => {
      const t = await shard.readTokens(at, n);
      out.ids.set(t.ids, outRow);
      out.sequence.set(t.sequence, outRow);
      out.position.set(t.position, outRow);
    });
    return out;
  }

  private vocabRead: Promise<string[] | null> | null = null;

  /** The vocabulary (token id -> display string) named by the manifest, or null; read once. */
  vocab(): Promise<string[] | null> {
    this.vocabRead ??= this.readVocab();
    return this.vocabRead;
  }

  private async readVocab(): Promise<string[] | null> {
    if (!this.manifest?.vocab) return null;
    const path = join(this.path, this.manifest.vocab);
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path, "utf8"));
    } catch (e) {
      throw new ActivationDatasetError(
        `${path}: cannot read the vocabulary that ${MANIFEST_FILE} names ("vocab"): ${
          systemErrorCode(e) === undefined ? (e as Error).message : describeSystemError(e, path)
        }`,
      );
    }
    if (!Array.isArray(raw) || !raw.every((s) => typeof s === "string")) {
      throw new ActivationDatasetError(
        `${path}: expected a JSON array of strings (token id -> display string)`,
      );
    }
    return raw;
  }

  /** One line for logs. */
  describe(): string {
    const m = this.manifest;
    const what = m
      ? `${this.shards.length} ${m.fileFormat} shards${m.complete ? "" : ", incomplete"}`
      : "1 file";
    return `${this.path} (${this.rows} rows, d=${this.d}, ${this.dtype}, ${what})`;
  }
}

/**
 * The shard's first and last rows lie in the sequences the manifest gives it
 * (two rows read; -1 means the file records no sequences).
 */
async function checkSequenceRange(shard: ActivationFile, entry: ManifestShard, where: string): Promise<void> {
  const first = (await shard.readTokens(0, 1)).sequence[0]!;
  const last = (await shard.readTokens(shard.rows - 1, 1)).sequence[0]!;
  if (first === -1 && last === -1) return;
  if (first !== entry.firstSequence || last !== entry.lastSequence)
    throw new ActivationDatasetError(
      `${shard.path}: rows run from sequence ${first} to ${last} but ${where} says ` +
        `${entry.firstSequence} to ${entry.lastSequence}; the manifest does not describe this shard`,
    );
}

/** Index of the first NaN/±Inf in `row`, or -1. */
function firstNonFinite(row: Float32Array): number {
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (v - v !== 0) return i; // NaN and ±Inf give NaN
  }
  return -1;
}
