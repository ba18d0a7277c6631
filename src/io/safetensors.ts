/**
 * safetensors files: reading (header only, or whole, one copy per tensor) and
 * atomic writing. The format on bytes lives in safetensors-bytes.ts, re-exported here.
 */
import { open } from "node:fs/promises";
import { writeFileAtomic } from "./atomic-write.js";
import {
  DTYPE_SIZE,
  encodeSafetensors,
  headerLength,
  parseHeader,
  requireLittleEndian,
  SafetensorsError,
  type SafetensorsFile,
  type SafetensorsHeader,
  type TensorEntry,
  viewOf,
} from "./safetensors-bytes.js";

export * from "./safetensors-bytes.js";

/** Write a safetensors file atomically (see {@link encodeSafetensors} for the layout). */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, TensorEntry>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

type ReadHandle = Awaited<ReturnType<typeof open>>;

async function readExactly(
  fh: ReadHandle,
  into: Uint8Array,
  position: number,
  source: string,
): Promise<void> {
  // One read() moves at most ~2 GiB on Linux, and may return short; keep going.
  let done = 0;
  while (done < into.length) {
    const want = Math.min(into.length - done, 1 << 30);
    const { bytesRead } = await fh.read(into, done, want, position + done);
    if (bytesRead === 0) {
      throw new SafetensorsError(
        `${source}: unexpected end of file at byte ${position + done} (file shrank?)`,
      );
    }
    done += bytesRead;
  }
}

async function readHeaderFrom(fh: ReadHandle, path: string): Promise<SafetensorsHeader> {
  const { size } = await fh.stat();
  const prefix = new Uint8Array(8);
  if (size >= 8) await readExactly(fh, prefix, 0, path);
  const n = headerLength(prefix, size, path);
  const headerBytes = new Uint8Array(n);
  await readExactly(fh, headerBytes, 8, path);
  const { tensors, metadata } = parseHeader(headerBytes, size - 8 - n, path);
  return { dataStart: 8 + n, tensors, metadata };
}

/** Read and validate only the header, e.g. to read row ranges of a large tensor lazily. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const fh = await open(path, "r");
  try {
    return await readHeaderFrom(fh, path);
  } finally {
    await fh.close();
  }
}

/**
 * Read a safetensors file. Each tensor is read straight from the file into
 * its own typed array (one copy, always aligned), so multi-GB files need no
 * second whole-file buffer.
 */
export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  requireLittleEndian(path);
  const fh = await open(path, "r");
  try {
    const header = await readHeaderFrom(fh, path);
    const tensors: Record<string, TensorEntry> = Object.create(null);
    for (const t of header.tensors) {
      const count = (t.end - t.begin) / DTYPE_SIZE[t.dtype];
      const data = viewOf(t.dtype, new ArrayBuffer(t.end - t.begin), 0, count);
      await readExactly(
        fh,
        new Uint8Array(data.buffer, 0, data.byteLength),
        header.dataStart + t.begin,
        path,
      );
      tensors[t.name] = { dtype: t.dtype, shape: t.shape, data };
    }
    return { tensors, metadata: header.metadata };
  } finally {
    await fh.close();
  }
}
