/**
 * The safetensors format: u64 little-endian header length N, N bytes of JSON
 * header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {..}}`,
 * then the tensor bytes (little-endian, C order; offsets relative to the
 * buffer start). Reading validates the header the way the reference library
 * does, with errors that name the file and the offending field or byte range.
 * This file works on bytes only (no file system), so the browser can use it;
 * safetensors.ts adds the files and re-exports it.
 */
import { bf16BitsToNumber, bf16ToF32, f16BitsToNumber, f16ToF32 } from "./half.js";

export type DType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

export type TypedArray =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

/**
 * One tensor. `data` is Float64Array (F64), Float32Array (F32), Uint16Array of
 * raw bits (F16, BF16), BigInt64Array (I64), Int32Array, Int16Array, Int8Array,
 * Uint8Array (U8, and BOOL as 0/1), with product(shape) elements.
 */
export interface TensorEntry {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

export interface SafetensorsFile {
  tensors: Record<string, TensorEntry>;
  metadata: Record<string, string>;
}

/** Where one tensor lies: `begin`/`end` are byte offsets from the start of the data buffer. */
export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/** A validated header; the data buffer starts at file byte `dataStart` (= 8 + N). */
export interface SafetensorsHeader {
  dataStart: number;
  /** Ordered by `begin`. */
  tensors: TensorInfo[];
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  override name = "SafetensorsError";
}

/** Bytes per element. */
export const DTYPE_SIZE: Readonly<Record<DType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

// The reference writer's dtype order; it lays tensors out by descending rank, then by name.
const DTYPE_RANK: Readonly<Record<DType, number>> = {
  BOOL: 0,
  U8: 1,
  I8: 2,
  I16: 3,
  F16: 4,
  BF16: 5,
  I32: 6,
  F32: 7,
  F64: 8,
  I64: 9,
};

// The reference reader refuses larger headers; so do we, before allocating them.
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = "__metadata__";

export function isDType(s: unknown): s is DType {
  return typeof s === "string" && Object.hasOwn(DTYPE_SIZE, s);
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function requireLittleEndian(source: string): void {
  if (!littleEndian) throw new SafetensorsError(`${source}: big-endian hosts are not supported`);
}

function dataMatchesDType(dtype: DType, data: TypedArray): boolean {
  switch (dtype) {
    case "F64":
      return data instanceof Float64Array;
    case "F32":
      return data instanceof Float32Array;
    case "F16":
    case "BF16":
      return data instanceof Uint16Array;
    case "I64":
      return data instanceof BigInt64Array;
    case "I32":
      return data instanceof Int32Array;
    case "I16":
      return data instanceof Int16Array;
    case "I8":
      return data instanceof Int8Array;
    case "U8":
    case "BOOL":
      return data instanceof Uint8Array;
  }
}

export function viewOf(
  dtype: DType,
  buffer: ArrayBufferLike,
  byteOffset: number,
  length: number,
): TypedArray {
  switch (dtype) {
    case "F64":
      return new Float64Array(buffer, byteOffset, length);
    case "F32":
      return new Float32Array(buffer, byteOffset, length);
    case "F16":
    case "BF16":
      return new Uint16Array(buffer, byteOffset, length);
    case "I64":
      return new BigInt64Array(buffer, byteOffset, length);
    case "I32":
      return new Int32Array(buffer, byteOffset, length);
    case "I16":
      return new Int16Array(buffer, byteOffset, length);
    case "I8":
      return new Int8Array(buffer, byteOffset, length);
    case "U8":
    case "BOOL":
      return new Uint8Array(buffer, byteOffset, length);
  }
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** product(shape), or undefined when the shape is not a list of non-negative safe integers. */
function elementCount(shape: unknown): number | undefined {
  if (!Array.isArray(shape)) return undefined;
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) return undefined;
    n *= d;
  }
  return Number.isSafeInteger(n) ? n : undefined;
}

// ---------------------------------------------------------------------------
// Writing

const utf8 = new TextEncoder();

function compareUtf8(a: string, b: string): number {
  // The reference sorts names as UTF-8 bytes; JS `<` compares UTF-16 units.
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/**
 * The file as chunks (header, then each tensor's bytes as a view of its data,
 * uncopied). Layout matches the reference writer: descending dtype size, then
 * name, which keeps every tensor aligned to its element size; `__metadata__`
 * (keys sorted) comes first in the header when given.
 */
export function encodeSafetensors(
  tensors: Record<string, TensorEntry>,
  metadata?: Record<string, string>,
): Uint8Array[] {
  requireLittleEndian("encodeSafetensors");
  const names = Object.keys(tensors);
  for (const name of names) {
    const t = tensors[name]!;
    const where = `encodeSafetensors: tensor "${name}"`;
    if (name === METADATA_KEY) throw new SafetensorsError(`${where}: the name is reserved for metadata`);
    if (!isDType(t.dtype)) throw new SafetensorsError(`${where}: unknown dtype ${JSON.stringify(t.dtype)}`);
    const n = elementCount(t.shape);
    if (n === undefined) {
      throw new SafetensorsError(
        `${where}: shape ${JSON.stringify(t.shape)} is not a list of non-negative integers`,
      );
    }
    if (!dataMatchesDType(t.dtype, t.data)) {
      throw new SafetensorsError(`${where}: dtype ${t.dtype} cannot hold a ${t.data.constructor.name}`);
    }
    if (t.data.length !== n) {
      throw new SafetensorsError(
        `${where}: shape ${formatShape(t.shape)} needs ${n} elements, data has ${t.data.length}`,
      );
    }
  }
  names.sort((a, b) => DTYPE_RANK[tensors[b]!.dtype] - DTYPE_RANK[tensors[a]!.dtype] || compareUtf8(a, b));

  // Built by hand: a JS object would move integer-like names ("0") to the front.
  const fields: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(compareUtf8);
    const entries = keys.map((k) => {
      const v = metadata[k];
      if (typeof v !== "string") {
        throw new SafetensorsError(`encodeSafetensors: metadata "${k}" must be a string, got ${typeof v}`);
      }
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    fields.push(`${JSON.stringify(METADATA_KEY)}:{${entries.join(",")}}`);
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const { dtype, shape, data } = tensors[name]!;
    const end = offset + data.byteLength;
    fields.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype, shape, data_offsets: [offset, end] })}`);
    chunks.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    offset = end;
  }
  const json = utf8.encode(`{${fields.join(",")}}`);
  const padded = json.length + ((8 - (json.length % 8)) % 8); // spaces keep the buffer 8-byte aligned
  const head = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  chunks.unshift(head);
  return chunks;
}

// ---------------------------------------------------------------------------
// Reading

/** Parse and validate the JSON header against a data buffer of `bufferLength` bytes. */
export function parseHeader(
  headerBytes: Uint8Array,
  bufferLength: number,
  source: string,
): { tensors: TensorInfo[]; metadata: Record<string, string> } {
  const headerEnd = 8 + headerBytes.length;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError(`${source}: header (file bytes 8..${headerEnd}) is not valid UTF-8`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new SafetensorsError(`${source}: header (file bytes 8..${headerEnd}) is not valid JSON: ${why}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new SafetensorsError(`${source}: header must be a JSON object, got ${describe(parsed)}`);
  }

  // Null prototypes: names such as "__proto__" or "constructor" must be plain keys.
  const metadata: Record<string, string> = Object.create(null);
  const tensors: TensorInfo[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (name === METADATA_KEY) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new SafetensorsError(
          `${source}: header "${METADATA_KEY}" must be an object, got ${describe(value)}`,
        );
      }
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== "string") {
          throw new SafetensorsError(
            `${source}: header "${METADATA_KEY}"."${k}" must be a string, got ${describe(v)}`,
          );
        }
        metadata[k] = v;
      }
      continue;
    }
    tensors.push(parseEntry(name, value, bufferLength, source));
  }

  // Sorted by position, the tensors must tile the buffer: no overlap, no gap, no tail.
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: TensorInfo | undefined;
  for (const t of tensors) {
    if (t.begin === t.end) continue; // an empty tensor occupies no bytes
    if (t.begin < covered) {
      throw new SafetensorsError(
        `${source}: tensor "${t.name}" data_offsets [${t.begin}, ${t.end}] overlap tensor "${previous!.name}" ` +
          `[${previous!.begin}, ${previous!.end}]`,
      );
    }
    if (t.begin > covered) {
      throw new SafetensorsError(
        `${source}: data buffer bytes ${covered}..${t.begin} (file bytes ${headerEnd + covered}..` +
          `${headerEnd + t.begin}) are not covered by any tensor; expected tensors to tile the buffer`,
      );
    }
    covered = t.end;
    previous = t;
  }
  if (covered !== bufferLength) {
    throw new SafetensorsError(
      `${source}: data buffer bytes ${covered}..${bufferLength} (file bytes ${headerEnd + covered}..` +
        `${headerEnd + bufferLength}) are not covered by any tensor; expected the last tensor to end the file`,
    );
  }
  return { tensors, metadata };
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return `${typeof v} ${JSON.stringify(v)}`;
}

function parseEntry(name: string, value: unknown, bufferLength: number, source: string): TensorInfo {
  const where = `${source}: tensor "${name}"`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SafetensorsError(
      `${where}: expected an object {dtype, shape, data_offsets}, got ${describe(value)}`,
    );
  }
  for (const field of ["dtype", "shape", "data_offsets"]) {
    if (!Object.hasOwn(value, field)) throw new SafetensorsError(`${where}: missing field "${field}"`);
  }
  const entry = value as { dtype: unknown; shape: unknown; data_offsets: unknown };
  const { dtype, shape, data_offsets: offsets } = entry;
  if (!isDType(dtype)) {
    throw new SafetensorsError(
      `${where}: unknown dtype ${JSON.stringify(dtype)}; expected one of ${Object.keys(DTYPE_SIZE).join(", ")}`,
    );
  }
  const n = elementCount(shape);
  if (n === undefined) {
    throw new SafetensorsError(
      `${where}: shape ${JSON.stringify(shape)} must be a list of non-negative integers (with a safe product)`,
    );
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => typeof o === "number" && Number.isSafeInteger(o) && o >= 0)
  ) {
    throw new SafetensorsError(
      `${where}: data_offsets ${JSON.stringify(offsets)} must be two non-negative integers [begin, end]`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin)
    throw new SafetensorsError(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > bufferLength) {
    throw new SafetensorsError(
      `${where}: data_offsets [${begin}, ${end}] run past the end of the ${bufferLength}-byte data buffer`,
    );
  }
  const size = DTYPE_SIZE[dtype];
  if (end - begin !== n * size) {
    throw new SafetensorsError(
      `${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes; expected ${n * size} ` +
        `(shape ${formatShape(shape as number[])} of ${dtype}, ${size} bytes each)`,
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** Header length N from the first 8 bytes, checked against the file size. */
export function headerLength(prefix: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8) {
    throw new SafetensorsError(`${source}: file is ${fileSize} bytes, shorter than the 8-byte header length`);
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(fileSize - 8)) {
    throw new SafetensorsError(
      `${source}: header length ${n} (file bytes 0..8) runs past the end of the ${fileSize}-byte file`,
    );
  }
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(`${source}: header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  return Number(n);
}

/**
 * Decode a whole file held in memory. Tensors whose bytes are aligned for
 * their dtype are views into `bytes` (shared, not copied); misaligned ones are
 * copied.
 */
export function decodeSafetensors(bytes: Uint8Array, sourceName: string): SafetensorsFile {
  requireLittleEndian(sourceName);
  const n = headerLength(bytes, bytes.length, sourceName);
  const dataStart = 8 + n;
  const header = parseHeader(bytes.subarray(8, dataStart), bytes.length - dataStart, sourceName);
  const tensors: Record<string, TensorEntry> = Object.create(null);
  for (const t of header.tensors) {
    const size = DTYPE_SIZE[t.dtype];
    const count = (t.end - t.begin) / size;
    const at = bytes.byteOffset + dataStart + t.begin;
    let data: TypedArray;
    if (at % size === 0) {
      data = viewOf(t.dtype, bytes.buffer, at, count);
    } else {
      const copy = bytes.slice(dataStart + t.begin, dataStart + t.end);
      data = viewOf(t.dtype, copy.buffer, 0, count);
    }
    tensors[t.name] = { dtype: t.dtype, shape: t.shape, data };
  }
  return { tensors, metadata: header.metadata };
}

// ---------------------------------------------------------------------------
// Conversion

function checkedData(entry: TensorEntry): TypedArray {
  if (!dataMatchesDType(entry.dtype, entry.data)) {
    throw new SafetensorsError(`dtype ${entry.dtype} cannot hold a ${entry.data.constructor.name}`);
  }
  return entry.data;
}

/** The values as float32. An F32 entry returns its own array (no copy); others convert. */
export function toFloat32(entry: TensorEntry): Float32Array {
  const data = checkedData(entry);
  switch (entry.dtype) {
    case "F32":
      return data as Float32Array;
    case "F16":
      return f16ToF32(data as Uint16Array);
    case "BF16":
      return bf16ToF32(data as Uint16Array);
    case "I64": {
      const src = data as BigInt64Array;
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]!);
      return out;
    }
    default:
      return Float32Array.from(data as Exclude<TypedArray, BigInt64Array>);
  }
}

/** The values as float64. An F64 entry returns its own array (no copy); others convert exactly except I64 beyond 2^53. */
export function toFloat64(entry: TensorEntry): Float64Array {
  const data = checkedData(entry);
  switch (entry.dtype) {
    case "F64":
      return data as Float64Array;
    case "F16":
    case "BF16": {
      const src = data as Uint16Array;
      const widen = entry.dtype === "F16" ? f16BitsToNumber : bf16BitsToNumber;
      const out = new Float64Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = widen(src[i]!);
      return out;
    }
    case "I64": {
      const src = data as BigInt64Array;
      const out = new Float64Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]!);
      return out;
    }
    default:
      return Float64Array.from(data as Exclude<TypedArray, BigInt64Array>);
  }
}
