/**
 * The feature cache on disk: everything the browser shows for one SAE over one
 * activation dataset, computed once (`cosae serve` builds it with a progress bar).
 *
 * Layout (little-endian), header last so records can be streamed out while they
 * are computed and never held whole in memory:
 *
 *   "COSAEFC1"                       8 bytes
 *   record 0 … record m−1            UTF-8 JSON, one LatentRecord each
 *   header                           UTF-8 JSON, FeatureCacheHeader
 *   header byte length               u64
 *   "COSAEFC1"                       8 bytes
 *
 * A reader loads the header (overview, latent table, vocabulary, record offsets)
 * and then reads one record's bytes per request. Written atomically.
 */
import { type FileHandle, open } from "node:fs/promises";
import { writeFileAtomic } from "../io/atomic-write.js";
import { readIntoAt } from "../io/file-range.js";
import type { LatentRecord, LatentTable, SaeOverview } from "./latent-record.js";

export const FEATURE_CACHE_FORMAT = "cosae-feature-cache";
export const FEATURE_CACHE_VERSION = 1;
const MAGIC = "COSAEFC1";
const TRAILER_BYTES = 16;

/** What a cache was built from: a cache whose stamp differs from the wanted one is rebuilt. */
export interface CacheStamp {
  sae: { path: string; weightsBytes: number; weightsModifiedMs: number };
  data: { path: string; rows: number };
  model: string | null;
  /** the builder's options (token count, context sizes, seed …) */
  options: Record<string, number | string | boolean | null>;
}

export interface FeatureCacheHeader {
  format: typeof FEATURE_CACHE_FORMAT;
  version: typeof FEATURE_CACHE_VERSION;
  stamp: CacheStamp;
  overview: SaeOverview;
  table: LatentTable;
  /** token id → display string, null when the dataset has no vocabulary */
  vocab: string[] | null;
  /** byte offset (from the start of the file) and length of latent j's record */
  records: { offset: number[]; length: number[] };
}

export class FeatureCacheError extends Error {
  override name = "FeatureCacheError";
}

/** Writes a cache from its header parts and the m records, in latent order. */
export async function writeFeatureCache(
  path: string,
  header: Omit<FeatureCacheHeader, "format" | "version" | "records">,
  records: Iterable<LatentRecord> | AsyncIterable<LatentRecord>,
): Promise<void> {
  const m = header.overview.m;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    const offset: number[] = [];
    const length: number[] = [];
    let at = MAGIC.length;
    yield Buffer.from(MAGIC, "latin1");
    for await (const record of records) {
      if (record.latent !== offset.length) {
        throw new FeatureCacheError(
          `record for latent ${record.latent} out of order (expected ${offset.length})`,
        );
      }
      const bytes = Buffer.from(JSON.stringify(record), "utf8");
      offset.push(at);
      length.push(bytes.length);
      at += bytes.length;
      yield bytes;
    }
    if (offset.length !== m) throw new FeatureCacheError(`${offset.length} records for ${m} latents`);
    const full: FeatureCacheHeader = {
      format: FEATURE_CACHE_FORMAT,
      version: FEATURE_CACHE_VERSION,
      ...header,
      records: { offset, length },
    };
    const headerBytes = Buffer.from(JSON.stringify(full), "utf8");
    const trailer = Buffer.alloc(TRAILER_BYTES);
    trailer.writeBigUInt64LE(BigInt(headerBytes.length), 0);
    trailer.write(MAGIC, 8, "latin1");
    yield headerBytes;
    yield trailer;
  }
  await writeFileAtomic(path, chunks());
}

/** An open cache: the header in memory, records read on demand. */
export class FeatureCache {
  private constructor(
    readonly path: string,
    readonly header: FeatureCacheHeader,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string): Promise<FeatureCache> {
    const handle = await open(path, "r");
    try {
      const header = await readHeader(handle, path);
      return new FeatureCache(path, header, handle);
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  /** Latent j's record as stored (JSON text). */
  async recordText(latent: number): Promise<string> {
    const { offset, length } = this.header.records;
    if (!Number.isInteger(latent) || latent < 0 || latent >= offset.length) {
      throw new FeatureCacheError(`${this.path}: no latent ${latent} (the SAE has ${offset.length})`);
    }
    const bytes = new Uint8Array(length[latent]!);
    await readIntoAt(this.handle, bytes, offset[latent]!, this.path);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  }

  async record(latent: number): Promise<LatentRecord> {
    return JSON.parse(await this.recordText(latent)) as LatentRecord;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Only the header (for staleness checks without keeping the file open). */
export async function readFeatureCacheHeader(path: string): Promise<FeatureCacheHeader> {
  const handle = await open(path, "r");
  try {
    return await readHeader(handle, path);
  } finally {
    await handle.close();
  }
}

async function readHeader(handle: FileHandle, path: string): Promise<FeatureCacheHeader> {
  const size = (await handle.stat()).size;
  const fail = (why: string) =>
    new FeatureCacheError(`${path}: not a complete cosae feature cache (${why}); delete it to rebuild`);
  if (size < MAGIC.length + TRAILER_BYTES) throw fail(`${size} bytes`);
  const head = Buffer.alloc(MAGIC.length);
  await readIntoAt(handle, head, 0, path);
  const trailer = Buffer.alloc(TRAILER_BYTES);
  await readIntoAt(handle, trailer, size - TRAILER_BYTES, path);
  if (head.toString("latin1") !== MAGIC || trailer.toString("latin1", 8) !== MAGIC) throw fail("bad magic");
  const headerLength = Number(trailer.readBigUInt64LE(0));
  const headerStart = size - TRAILER_BYTES - headerLength;
  if (headerStart < MAGIC.length) throw fail(`header length ${headerLength} exceeds the file`);
  const bytes = Buffer.alloc(headerLength);
  await readIntoAt(handle, bytes, headerStart, path);
  let header: FeatureCacheHeader;
  try {
    header = JSON.parse(bytes.toString("utf8")) as FeatureCacheHeader;
  } catch (e) {
    throw fail(`header is not JSON: ${(e as Error).message}`);
  }
  if (header.format !== FEATURE_CACHE_FORMAT) throw fail(`format ${JSON.stringify(header.format)}`);
  if (header.version !== FEATURE_CACHE_VERSION) {
    throw fail(`version ${header.version}, this cosae reads version ${FEATURE_CACHE_VERSION}`);
  }
  const { offset, length } = header.records ?? {};
  const m = header.overview?.m;
  if (!Array.isArray(offset) || !Array.isArray(length) || offset.length !== m || length.length !== m) {
    throw fail("record index does not match the SAE's latent count");
  }
  for (let j = 0; j < m; j++) {
    if (offset[j]! < MAGIC.length || offset[j]! + length[j]! > headerStart)
      throw fail(`record ${j} out of range`);
  }
  return header;
}
