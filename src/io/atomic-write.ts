/**
 * Atomic file replacement: write a temp file in the target's folder, fsync it,
 * rename it over the target, fsync the folder. rename(2) within one file system
 * is atomic, so a reader sees either the old file or the complete new one, and
 * a crash leaves at worst a stray `.name.pid.rand.tmp` next to the target.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { type FileHandle, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export type AtomicData = Uint8Array | string | readonly Uint8Array[];
/** What the async writer also takes: chunks produced while writing (a large file never held whole). */
export type AtomicStream = AtomicData | AsyncIterable<Uint8Array>;

/** A failed atomic write; `code` is the system error code when there was one (ENOENT, EACCES...). */
export class AtomicWriteError extends Error {
  readonly path: string;
  readonly code: string | undefined;

  constructor(path: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`cannot write ${path}: ${detail}`, { cause });
    this.name = "AtomicWriteError";
    this.path = path;
    this.code = errorCode(cause);
  }
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null || !("code" in err)) return undefined;
  return typeof err.code === "string" ? err.code : undefined;
}

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
}

function chunksOf(data: AtomicData): Iterable<Uint8Array>;
function chunksOf(data: AtomicStream): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
function chunksOf(data: AtomicStream): Iterable<Uint8Array> | AsyncIterable<Uint8Array> {
  if (typeof data === "string") return [Buffer.from(data, "utf8")];
  if (data instanceof Uint8Array) return [data];
  return data;
}

// Node refuses a length above 2^31 - 1 per write call, and writes may return short: go in slices.
const MAX_WRITE = 1 << 30;

function writeLength(chunk: Uint8Array, done: number): number {
  return Math.min(chunk.byteLength - done, MAX_WRITE);
}

// Some platforms (Windows) cannot open or fsync a directory; durability there is best effort.
const DIR_FSYNC_UNSUPPORTED = new Set(["EISDIR", "EPERM", "EACCES", "EINVAL", "ENOTSUP", "EBADF"]);

async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch (err) {
    if (!DIR_FSYNC_UNSUPPORTED.has(errorCode(err) ?? "")) throw err;
  } finally {
    await handle?.close();
  }
}

function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch (err) {
    if (!DIR_FSYNC_UNSUPPORTED.has(errorCode(err) ?? "")) throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Replace `path` with `data` so that no reader ever sees a partial file. */
export async function writeFileAtomic(path: string, data: AtomicStream): Promise<void> {
  const temp = tempPathFor(path);
  let handle: FileHandle | undefined;
  let created = false;
  try {
    handle = await open(temp, "wx");
    created = true;
    for await (const chunk of chunksOf(data)) {
      let done = 0;
      while (done < chunk.byteLength) {
        const { bytesWritten } = await handle.write(chunk, done, writeLength(chunk, done));
        done += bytesWritten;
      }
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
    created = false;
    await fsyncDir(dirname(path));
  } catch (err) {
    await handle?.close().catch(() => undefined);
    if (created) await unlink(temp).catch(() => undefined);
    throw new AtomicWriteError(path, err);
  }
}

/** Synchronous twin of {@link writeFileAtomic}. */
export function writeFileAtomicSync(path: string, data: AtomicData): void {
  const temp = tempPathFor(path);
  let fd: number | undefined;
  let created = false;
  try {
    fd = openSync(temp, "wx");
    created = true;
    for (const chunk of chunksOf(data)) {
      let done = 0;
      while (done < chunk.byteLength) done += writeSync(fd, chunk, done, writeLength(chunk, done));
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
    created = false;
    fsyncDirSync(dirname(path));
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // The write error is the one worth reporting.
      }
    }
    if (created) {
      try {
        unlinkSync(temp);
      } catch {
        // Already gone or unremovable; the original error still goes up.
      }
    }
    throw new AtomicWriteError(path, err);
  }
}

function jsonText(path: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, null, 2);
  } catch (err) {
    throw new AtomicWriteError(path, err); // e.g. a cycle or a BigInt
  }
  if (text === undefined) throw new AtomicWriteError(path, new TypeError("value has no JSON form"));
  return `${text}\n`;
}

/** Atomically write `value` as pretty-printed JSON with a trailing newline. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, jsonText(path, value));
}

/** Synchronous twin of {@link writeJsonAtomic}. */
export function writeJsonAtomicSync(path: string, value: unknown): void {
  writeFileAtomicSync(path, jsonText(path, value));
}
