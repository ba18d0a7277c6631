/**
 * NumPy's .npy format (versions 1.0, 2.0, 3.0): the magic `\x93NUMPY`, a
 * major and minor version byte, the header length (u16 in v1, u32 in v2/v3),
 * then a Python dict literal `{'descr': '<f4', 'fortran_order': False,
 * 'shape': (N, d), }` padded with spaces and a newline so the data starts on a
 * 64-byte boundary, then the array bytes. Only C-order, little-endian numeric
 * arrays of f4, f2, f8, i4 and i8 are supported; anything else is refused with
 * an error naming the file and the header field.
 *
 * Half floats are kept as raw bit patterns in a Uint16Array (as in
 * safetensors.ts), and i8 as BigInt64Array.
 */
import { open } from "node:fs/promises";
import { writeFileAtomic } from "./atomic-write.js";
import { isRowRange, readFileRange, readIntoAt } from "./file-range.js";
import { f16ToF32 } from "./half.js";

export type NpyDType = "f4" | "f2" | "f8" | "i4" | "i8";

export type NpyData = Float32Array | Uint16Array | Float64Array | Int32Array | BigInt64Array;

export interface NpyHeader {
  path: string;
  version: 1 | 2 | 3;
  dtype: NpyDType;
  shape: number[];
  /** file byte where the array data starts */
  dataOffset: number;
}

export class NpyError extends Error {
  override name = "NpyError";
}

export const NPY_DTYPE_SIZE: Readonly<Record<NpyDType, number>> = { f4: 4, f2: 2, f8: 8, i4: 4, i8: 8 };

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const PREFIX_BYTES = 12; // enough for magic, version and a v2/v3 length
const ALIGN = 64;
const MAX_HEADER_BYTES = 1 << 24; // real headers are a few hundred bytes

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isNpyDType(s: string): s is NpyDType {
  return Object.hasOwn(NPY_DTYPE_SIZE, s);
}

/** Elements per row (product of all axes but the first); 1 for a 1-D array. */
export function npyRowElements(shape: readonly number[]): number {
  let n = 1;
  for (let i = 1; i < shape.length; i++) n *= shape[i]!;
  return n;
}

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

// ---------------------------------------------------------------------------
// Header parsing: a tiny reader for the Python literals numpy writes.

type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

class PyLiteralReader {
  private at = 0;
  constructor(
    private readonly text: string,
    private readonly where: string,
  ) {}

  fail(expected: string): never {
    throw new NpyError(
      `${this.where}: header is not a valid Python dict literal at character ${this.at}: expected ${expected}, ` +
        `found ${JSON.stringify(this.text.slice(this.at, this.at + 12))}`,
    );
  }

  private skipSpace(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at]!)) this.at++;
  }

  private peek(): string {
    this.skipSpace();
    return this.text[this.at] ?? "";
  }

  private expect(c: string): void {
    if (this.peek() !== c) this.fail(`"${c}"`);
    this.at++;
  }

  value(): PyValue {
    const c = this.peek();
    if (c === "{") return this.dict();
    if (c === "(" || c === "[") return this.sequence(c === "(" ? ")" : "]");
    if (c === "'" || c === '"') return this.string();
    const word = /^(True|False|None|-?\d+L?)/.exec(this.text.slice(this.at));
    if (!word) this.fail("a value");
    this.at += word[0].length;
    if (word[0] === "True") return true;
    if (word[0] === "False") return false;
    if (word[0] === "None") return null;
    return Number(word[0].replace("L", "")); // Python 2 headers may write 3L
  }

  private string(): string {
    const quote = this.text[this.at]!;
    const end = this.text.indexOf(quote, this.at + 1);
    if (end < 0) this.fail(`a closing ${quote}`);
    const s = this.text.slice(this.at + 1, end);
    this.at = end + 1;
    return s;
  }

  private sequence(close: string): PyValue[] {
    this.at++;
    const items: PyValue[] = [];
    while (this.peek() !== close) {
      items.push(this.value());
      if (this.peek() === ",") this.at++;
      else if (this.peek() !== close) this.fail(`"," or "${close}"`);
    }
    this.at++;
    return items;
  }

  private dict(): { [key: string]: PyValue } {
    this.expect("{");
    const out: { [key: string]: PyValue } = Object.create(null);
    while (this.peek() !== "}") {
      const c = this.peek();
      if (c !== "'" && c !== '"') this.fail("a quoted key");
      const key = this.string();
      this.expect(":");
      out[key] = this.value();
      if (this.peek() === ",") this.at++;
      else if (this.peek() !== "}") this.fail('"," or "}"');
    }
    this.at++;
    return out;
  }

  end(): void {
    if (this.peek() !== "") this.fail("the end of the header");
  }
}

/** The dtype code of a `descr` string, or an error naming what is wrong with it. */
function parseDescr(descr: PyValue, where: string): NpyDType {
  if (typeof descr !== "string") {
    throw new NpyError(
      `${where}: header field 'descr' is ${JSON.stringify(descr)}; structured dtypes are not supported ` +
        `(expected one of <f4, <f2, <f8, <i4, <i8)`,
    );
  }
  const order = descr[0];
  const code = descr.slice(1);
  if (!isNpyDType(code) || !["<", "|", "="].includes(order ?? "")) {
    const why = order === ">" ? "big-endian data is not supported" : "unsupported dtype";
    throw new NpyError(
      `${where}: header field 'descr' is '${descr}': ${why} (expected one of <f4, <f2, <f8, <i4, <i8)`,
    );
  }
  return code;
}

/**
 * Parse the header of a .npy file given its first bytes (at least the whole
 * header) and its size, checking that the size matches the shape exactly.
 */
export function parseNpyHeader(bytes: Uint8Array, fileSize: number, path: string): NpyHeader {
  if (!littleEndian) throw new NpyError(`${path}: big-endian hosts are not supported`);
  if (fileSize < 10 || bytes.length < 10) {
    throw new NpyError(`${path}: file is ${fileSize} bytes, too short for a .npy header (at least 10 bytes)`);
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) {
      throw new NpyError(`${path}: bytes 0..6 are not the .npy magic "\\x93NUMPY"; not a .npy file`);
    }
  }
  const major = bytes[6]!;
  if (major !== 1 && major !== 2 && major !== 3) {
    throw new NpyError(`${path}: byte 6: format version ${major}.${bytes[7]}; expected 1.0, 2.0 or 3.0`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  const headerStart = 8 + lengthBytes;
  if (bytes.length < headerStart)
    throw new NpyError(`${path}: file ends inside the header length (bytes 8..)`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = headerStart + headerLength;
  if (dataOffset > fileSize) {
    throw new NpyError(
      `${path}: header length ${headerLength} (bytes 8..${headerStart}) runs past the end of the ${fileSize}-byte file`,
    );
  }
  if (bytes.length < dataOffset) throw new NpyError(`${path}: header bytes not supplied (internal)`);
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? "utf-8" : "latin1", { fatal: true }).decode(
      bytes.subarray(headerStart, dataOffset),
    );
  } catch {
    throw new NpyError(`${path}: header (bytes ${headerStart}..${dataOffset}) is not valid UTF-8`);
  }
  const reader = new PyLiteralReader(text, `${path}: header (bytes ${headerStart}..${dataOffset})`);
  const parsed = reader.value();
  reader.end();
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new NpyError(`${path}: header is ${JSON.stringify(parsed)}; expected a dict`);
  }
  const dict = parsed;
  for (const key of ["descr", "fortran_order", "shape"]) {
    if (!Object.hasOwn(dict, key)) throw new NpyError(`${path}: header is missing the field '${key}'`);
  }
  const dtype = parseDescr(dict["descr"]!, path);
  const shape = dict["shape"];
  if (
    !Array.isArray(shape) ||
    !shape.every((s) => typeof s === "number" && Number.isSafeInteger(s) && s >= 0)
  ) {
    throw new NpyError(
      `${path}: header field 'shape' is ${JSON.stringify(shape)}; expected a tuple of non-negative integers`,
    );
  }
  const dims = shape as number[];
  const fortran = dict["fortran_order"];
  if (typeof fortran !== "boolean") {
    throw new NpyError(
      `${path}: header field 'fortran_order' is ${JSON.stringify(fortran)}; expected True or False`,
    );
  }
  if (fortran && dims.filter((s) => s !== 1).length > 1) {
    throw new NpyError(
      `${path}: header field 'fortran_order' is True; only C-order arrays are supported ` +
        `(save with np.save(path, np.ascontiguousarray(x)))`,
    );
  }
  const expected = dataOffset + elementCount(dims) * NPY_DTYPE_SIZE[dtype];
  if (fileSize !== expected) {
    throw new NpyError(
      `${path}: file is ${fileSize} bytes; header shape ${formatShape(dims)} of <${dtype} needs ${expected} ` +
        `(${dataOffset} header + ${expected - dataOffset} data)${fileSize < expected ? "; the file is truncated" : ""}`,
    );
  }
  return { path, version: major, dtype, shape: dims, dataOffset };
}

/** Read and validate only the header of a .npy file. */
export async function readNpyHeader(path: string): Promise<NpyHeader> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    const prefix = new Uint8Array(Math.min(size, PREFIX_BYTES));
    await readIntoAt(handle, prefix, 0, path);
    if (size < 10) return parseNpyHeader(prefix, size, path); // throws with the size
    const view = new DataView(prefix.buffer);
    const major = prefix[6];
    const validPrefix = MAGIC.every((b, i) => prefix[i] === b) && (major === 1 || major === 2 || major === 3);
    if (!validPrefix) return parseNpyHeader(prefix, size, path); // throws, naming what is wrong
    const length = major === 1 ? view.getUint16(8, true) : size >= 12 ? view.getUint32(8, true) : 0;
    const total = (major === 1 ? 10 : 12) + length;
    if (length > MAX_HEADER_BYTES) {
      throw new NpyError(
        `${path}: header length ${length} (bytes 8..12) exceeds the ${MAX_HEADER_BYTES}-byte limit`,
      );
    }
    if (total > size) return parseNpyHeader(prefix, size, path); // throws: the header runs past the end
    const bytes = new Uint8Array(total);
    await readIntoAt(handle, bytes, 0, path);
    return parseNpyHeader(bytes, size, path);
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------------------
// Data

function viewOf(dtype: NpyDType, buffer: ArrayBuffer, length: number): NpyData {
  switch (dtype) {
    case "f4":
      return new Float32Array(buffer, 0, length);
    case "f2":
      return new Uint16Array(buffer, 0, length);
    case "f8":
      return new Float64Array(buffer, 0, length);
    case "i4":
      return new Int32Array(buffer, 0, length);
    case "i8":
      return new BigInt64Array(buffer, 0, length);
  }
}

/**
 * Rows [start, start + count) of the array (rows along the first axis), read
 * from disk at their byte offset.
 */
export async function readNpyRows(header: NpyHeader, start: number, count: number): Promise<NpyData> {
  const rows = header.shape[0] ?? 1;
  if (!isRowRange(rows, start, count)) {
    throw new NpyError(
      `${header.path}: rows [${start}, ${start + count}) are outside the ${rows} rows of the array`,
    );
  }
  const rowElements = npyRowElements(header.shape);
  const size = NPY_DTYPE_SIZE[header.dtype];
  const bytes = await readFileRange(
    header.path,
    header.dataOffset + start * rowElements * size,
    count * rowElements * size,
  );
  return viewOf(header.dtype, bytes.buffer as ArrayBuffer, count * rowElements);
}

/** A whole .npy file. */
export async function readNpy(path: string): Promise<{ header: NpyHeader; data: NpyData }> {
  const header = await readNpyHeader(path);
  return { header, data: await readNpyRows(header, 0, header.shape[0] ?? 1) };
}

/** Values as float32 (f4 returns the same array; f2 widens exactly; i4/i8/f8 convert). */
export function npyToFloat32(dtype: NpyDType, data: NpyData): Float32Array {
  switch (dtype) {
    case "f4":
      return data as Float32Array;
    case "f2":
      return f16ToF32(data as Uint16Array);
    case "i8": {
      const src = data as BigInt64Array;
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]!);
      return out;
    }
    default:
      return Float32Array.from(data as Float64Array | Int32Array);
  }
}

/** Values as int32, e.g. token ids; i8 values outside the int32 range are an error naming the file and element. */
export function npyToInt32(dtype: NpyDType, data: NpyData, path: string): Int32Array {
  if (dtype === "i4") return data as Int32Array;
  if (dtype === "i8") {
    const src = data as BigInt64Array;
    const out = new Int32Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const v = src[i]!;
      if (v < -2147483648n || v > 2147483647n) {
        throw new NpyError(
          `${path}: element ${i} of the read range is ${v}; expected a value that fits in int32`,
        );
      }
      out[i] = Number(v);
    }
    return out;
  }
  throw new NpyError(`${path}: dtype <${dtype}; expected an integer array (<i4 or <i8)`);
}

// ---------------------------------------------------------------------------
// Writing

function dtypeOf(data: NpyData, half: boolean): NpyDType {
  if (data instanceof Float32Array) return "f4";
  if (data instanceof Uint16Array && half) return "f2";
  if (data instanceof Float64Array) return "f8";
  if (data instanceof Int32Array) return "i4";
  if (data instanceof BigInt64Array) return "i8";
  throw new NpyError(`encodeNpy: cannot store a ${(data as object).constructor.name}`);
}

/**
 * The header bytes numpy's `np.save` layout uses: version 1.0 (2.0 if the
 * header needs more than 65535 bytes), keys in sorted order, padded with
 * spaces and a final newline so the data starts on a 64-byte boundary.
 */
export function encodeNpyHeader(dtype: NpyDType, shape: readonly number[]): Uint8Array {
  const dict = `{'descr': '<${dtype}', 'fortran_order': False, 'shape': ${formatShape(shape)}, }`;
  let version = 1;
  let prefix = 10;
  if (dict.length + 1 + prefix > 65535) {
    version = 2;
    prefix = 12;
  }
  const padded = Math.ceil((prefix + dict.length + 1) / ALIGN) * ALIGN - prefix;
  const out = new Uint8Array(prefix + padded);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, padded, true);
  else view.setUint32(8, padded, true);
  const text = `${dict}${" ".repeat(padded - dict.length - 1)}\n`;
  for (let i = 0; i < text.length; i++) out[prefix + i] = text.charCodeAt(i);
  return out;
}

/**
 * The file as chunks (header, then the data uncopied). `Uint16Array` data is
 * written as f2 (raw half-float bits).
 */
export function encodeNpy(data: NpyData, shape: readonly number[]): Uint8Array[] {
  if (!littleEndian) throw new NpyError("encodeNpy: big-endian hosts are not supported");
  const dtype = dtypeOf(data, true);
  if (!shape.every((s) => Number.isSafeInteger(s) && s >= 0) || elementCount(shape) !== data.length) {
    throw new NpyError(`encodeNpy: shape ${formatShape(shape)} does not match ${data.length} elements`);
  }
  return [encodeNpyHeader(dtype, shape), new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
}

/** Write a .npy file atomically. */
export async function writeNpy(path: string, data: NpyData, shape: readonly number[]): Promise<void> {
  await writeFileAtomic(path, encodeNpy(data, shape));
}
