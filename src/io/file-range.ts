/**
 * Reading a byte range of a file at an offset, so a row range of a large
 * matrix costs only its own bytes. A short read (the file shrank, or a header
 * promised more bytes than there are) is an error naming the file and offset.
 */
import { type FileHandle, open } from "node:fs/promises";

export class FileRangeError extends Error {
  override name = "FileRangeError";
}

/** Fill `into` from file byte `position` of an open handle, looping over short reads. */
export async function readIntoAt(
  handle: FileHandle,
  into: Uint8Array,
  position: number,
  path: string,
): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const want = Math.min(into.length - done, 1 << 30); // one read() moves at most ~2 GiB
    const { bytesRead } = await handle.read(into, done, want, position + done);
    if (bytesRead === 0) {
      throw new FileRangeError(
        `${path}: unexpected end of file at byte ${position + done}; expected ${into.length - done} more ` +
          `bytes (file bytes ${position}..${position + into.length})`,
      );
    }
    done += bytesRead;
  }
}

/** `length` bytes of `path` from byte `position`, in a fresh (8-byte aligned) buffer. */
export async function readFileRange(path: string, position: number, length: number): Promise<Uint8Array> {
  const into = new Uint8Array(new ArrayBuffer(length));
  const handle = await open(path, "r");
  try {
    await readIntoAt(handle, into, position, path);
  } finally {
    await handle.close();
  }
  return into;
}

/** Whether [start, start + count) is a valid range of `rows` rows (integers, inside). */
export function isRowRange(rows: number, start: number, count: number): boolean {
  return (
    Number.isSafeInteger(start) &&
    Number.isSafeInteger(count) &&
    start >= 0 &&
    count >= 0 &&
    start + count <= rows
  );
}
