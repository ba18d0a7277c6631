import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import {
  DTYPE_SIZE,
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  type TensorEntry,
  toFloat32,
  toFloat64,
  writeSafetensors,
} from "../../src/io/safetensors.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const dir = useTemporaryFolder("cosae-st-");

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function bytesOf(entry: TensorEntry): number[] {
  return [...new Uint8Array(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength)];
}

/** One tensor of every dtype, with each type's awkward values. */
function everyDType(): Record<string, TensorEntry> {
  return {
    f64: { dtype: "F64", shape: [2, 3], data: Float64Array.of(0, -0, 1.5, Number.NaN, -Infinity, 1e-310) },
    f32: { dtype: "F32", shape: [4], data: Float32Array.of(1, -2.5, Number.POSITIVE_INFINITY, 1e-40) },
    f16: { dtype: "F16", shape: [3], data: Uint16Array.of(0x3c00, 0x7e00, 0x0001) },
    bf16: { dtype: "BF16", shape: [1, 3], data: Uint16Array.of(0x3f80, 0xff80, 0x8000) },
    i64: { dtype: "I64", shape: [2], data: BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n) },
    i32: { dtype: "I32", shape: [2], data: Int32Array.of(-(2 ** 31), 2 ** 31 - 1) },
    i16: { dtype: "I16", shape: [3], data: Int16Array.of(-32768, 32767, 0) },
    i8: { dtype: "I8", shape: [3], data: Int8Array.of(-128, 127, 1) },
    u8: { dtype: "U8", shape: [2], data: Uint8Array.of(0, 255) },
    bool: { dtype: "BOOL", shape: [5], data: Uint8Array.of(1, 0, 0, 1, 1) },
    scalar: { dtype: "F32", shape: [], data: Float32Array.of(42) },
    empty: { dtype: "F32", shape: [0, 4], data: new Float32Array(0) },
  };
}

function assertSameTensors(got: Record<string, TensorEntry>, want: Record<string, TensorEntry>): void {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
  for (const [name, w] of Object.entries(want)) {
    const g = got[name]!;
    assert.equal(g.dtype, w.dtype, name);
    assert.deepEqual(g.shape, w.shape, name);
    assert.equal(g.data.constructor, w.data.constructor, name);
    assert.deepEqual(bytesOf(g), bytesOf(w), `${name} bytes`);
  }
}

test("every dtype and the metadata survive a file round trip bit for bit", async () => {
  const path = join(dir(), "all.safetensors");
  const tensors = everyDType();
  const metadata = { format: "pt", "note with spaces": "ünïcode ✓", empty: "" };
  await writeSafetensors(path, tensors, metadata);
  const file = await readSafetensors(path);
  assertSameTensors(file.tensors, tensors);
  assert.deepEqual({ ...file.metadata }, metadata);
  const inMemory = decodeSafetensors(readFileSync(path), path);
  assertSameTensors(inMemory.tensors, tensors);
  assert.deepEqual({ ...inMemory.metadata }, metadata);
  assert.deepEqual(await readdir(dir()), ["all.safetensors"]);
});

test("no metadata argument means no __metadata__ key, and reading gives an empty map", () => {
  const chunks = encodeSafetensors({ x: { dtype: "U8", shape: [1], data: Uint8Array.of(5) } });
  const text = Buffer.from(chunks[0]!.subarray(8)).toString("utf8");
  assert.ok(!text.includes("__metadata__"), text);
  assert.deepEqual({ ...decodeSafetensors(concat(chunks), "mem").metadata }, {});
});

test("encoding matches a hand-built byte sequence", () => {
  // Layout: descending dtype size, then name: F32 "b" before U8 "a". __metadata__ first.
  const header =
    '{"__metadata__":{"format":"pt"},' +
    '"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
    '"a":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}}';
  assert.equal(header.length, 138);
  // biome-ignore format: one line per field of the file keeps the byte layout readable
  const expected = [
    144, 0, 0, 0, 0, 0, 0, 0, // N = 138 + 6 spaces of padding, u64 little-endian
    ...Buffer.from(header, "ascii"),
    32, 32, 32, 32, 32, 32,
    0x00, 0x00, 0x80, 0x3f, // 1.0f
    0x00, 0x00, 0x00, 0xc0, // -2.0f
    1, 2, 3,
  ];
  const got = concat(
    encodeSafetensors(
      {
        a: { dtype: "U8", shape: [3], data: Uint8Array.of(1, 2, 3) },
        b: { dtype: "F32", shape: [2], data: Float32Array.of(1, -2) },
      },
      { format: "pt" },
    ),
  );
  assert.deepEqual([...got], expected);
});

test("encoding matches the reference library's layout for a header already a multiple of 8", () => {
  const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
  assert.equal(header.length, 64);
  const data = Float32Array.of(0, 1, 2, 3, 4, 5);
  const expected = [64, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from(header), ...new Uint8Array(data.buffer)];
  const got = concat(encodeSafetensors({ "attn.0": { dtype: "F32", shape: [1, 2, 3], data } }));
  assert.deepEqual([...got], expected);
  const empty = concat(encodeSafetensors({}));
  assert.deepEqual([...empty], [8, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from("{}      ")]);
});

test("integer-like names sort as strings instead of jumping to the front", () => {
  const t = (v: number): TensorEntry => ({ dtype: "U8", shape: [1], data: Uint8Array.of(v) });
  const chunks = encodeSafetensors({ b: t(1), "10": t(2), "2": t(3) });
  const text = Buffer.from(chunks[0]!.subarray(8)).toString("utf8").trimEnd();
  // Names sorted as strings ("10" < "2" < "b"); a plain object would have put "2" before "10".
  assert.equal(
    text,
    '{"10":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"2":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},' +
      '"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}',
  );
});

test("written data is aligned for its dtype, so decoding makes views rather than copies", () => {
  const tensors: Record<string, TensorEntry> = {
    a_u8: { dtype: "U8", shape: [3], data: Uint8Array.of(1, 2, 3) },
    b_f16: { dtype: "F16", shape: [1], data: Uint16Array.of(0x3c00) },
    c_f32: { dtype: "F32", shape: [1], data: Float32Array.of(1) },
    d_f64: { dtype: "F64", shape: [1], data: Float64Array.of(1) },
    e_i64: { dtype: "I64", shape: [1], data: BigInt64Array.of(7n) },
  };
  const bytes = concat(encodeSafetensors(tensors));
  const file = decodeSafetensors(bytes, "mem");
  for (const [name, t] of Object.entries(file.tensors)) {
    assert.equal(t.data.buffer, bytes.buffer, `${name} should be a view`);
    assert.equal(t.data.byteOffset % DTYPE_SIZE[t.dtype], 0, name);
  }
  assertSameTensors(file.tensors, tensors);
});

test("misaligned tensors (odd offsets, odd byteOffset of the input) are copied, not crashed on", async () => {
  // Hand-built: a U8 byte first pushes the F32, F64 and I64 onto odd offsets.
  const header = JSON.stringify({
    u: { dtype: "U8", shape: [1], data_offsets: [0, 1] },
    f: { dtype: "F32", shape: [1], data_offsets: [1, 5] },
    d: { dtype: "F64", shape: [1], data_offsets: [5, 13] },
    i: { dtype: "I64", shape: [1], data_offsets: [13, 21] },
  });
  const head = Buffer.from(header);
  const file = new Uint8Array(8 + head.length + 21);
  new DataView(file.buffer).setBigUint64(0, BigInt(head.length), true);
  file.set(head, 8);
  const data = new DataView(file.buffer, 8 + head.length);
  data.setUint8(0, 9);
  data.setFloat32(1, 1.25, true);
  data.setFloat64(5, -3.5, true);
  data.setBigInt64(13, -5n, true);
  const check = (got: Record<string, TensorEntry>): void => {
    assert.deepEqual([...(got["u"]!.data as Uint8Array)], [9]);
    assert.deepEqual([...(got["f"]!.data as Float32Array)], [1.25]);
    assert.deepEqual([...(got["d"]!.data as Float64Array)], [-3.5]);
    assert.deepEqual([...(got["i"]!.data as BigInt64Array)], [-5n]);
  };
  check(decodeSafetensors(file, "mem").tensors);
  for (const shift of [1, 2, 3]) {
    const shifted = new Uint8Array(file.length + shift);
    shifted.set(file, shift);
    check(decodeSafetensors(shifted.subarray(shift), "mem").tensors);
  }
  const path = join(dir(), "odd.safetensors");
  writeFileSync(path, file);
  check((await readSafetensors(path)).tensors);
  await rm(path);
});

test("tensor names that are Object.prototype keys stay ordinary keys", async () => {
  const entry: TensorEntry = { dtype: "U8", shape: [1], data: Uint8Array.of(3) };
  const tensors: Record<string, TensorEntry> = { ["__proto__"]: entry, constructor: entry };
  const path = join(dir(), "proto.safetensors");
  await writeSafetensors(path, tensors, { ["__proto__"]: "m" });
  const file = await readSafetensors(path);
  assert.deepEqual(Object.keys(file.tensors).sort(), ["__proto__", "constructor"]);
  const proto = "__proto__"; // a variable key reads the own property, never the accessor
  assert.equal(file.tensors[proto]!.dtype, "U8");
  assert.equal(file.metadata[proto], "m");
  await rm(path);
});

test("readSafetensorsHeader reports positions without reading data", async () => {
  const path = join(dir(), "hdr.safetensors");
  await writeSafetensors(path, {
    w: { dtype: "F32", shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
    b: { dtype: "F16", shape: [2], data: Uint16Array.of(1, 2) },
  });
  const header = await readSafetensorsHeader(path);
  assert.equal(header.dataStart % 8, 0);
  assert.deepEqual(
    header.tensors.map((t) => [t.name, t.dtype, t.shape, t.begin, t.end]),
    [
      ["w", "F32", [2, 2], 0, 16],
      ["b", "F16", [2], 16, 20],
    ],
  );
  const raw = readFileSync(path);
  assert.equal(raw.readFloatLE(header.dataStart + 4), 2);
  await rm(path);
});

test("toFloat32 and toFloat64 convert every dtype", () => {
  const t = everyDType();
  const f32 = t["f32"]!;
  assert.equal(toFloat32(f32), f32.data, "F32 is returned as is");
  assert.equal(toFloat64(t["f64"]!), t["f64"]!.data, "F64 is returned as is");
  assert.deepEqual([...toFloat32(t["f64"]!)], [0, -0, 1.5, Number.NaN, -Infinity, 0]);
  assert.deepEqual([...toFloat64(f32)], [1, -2.5, Number.POSITIVE_INFINITY, Math.fround(1e-40)]);
  assert.deepEqual([...toFloat32(t["f16"]!)], [1, Number.NaN, 2 ** -24]);
  assert.deepEqual([...toFloat64(t["f16"]!)], [1, Number.NaN, 2 ** -24]);
  assert.deepEqual([...toFloat32(t["bf16"]!)], [1, -Infinity, -0]);
  assert.deepEqual([...toFloat64(t["bf16"]!)], [1, -Infinity, -0]);
  assert.deepEqual([...toFloat64(t["i64"]!)], [-(2 ** 63), 2 ** 63]);
  assert.deepEqual([...toFloat32(t["i32"]!)], [-(2 ** 31), 2 ** 31]);
  assert.deepEqual([...toFloat64(t["i32"]!)], [-(2 ** 31), 2 ** 31 - 1]);
  assert.deepEqual([...toFloat64(t["i16"]!)], [-32768, 32767, 0]);
  assert.deepEqual([...toFloat32(t["i8"]!)], [-128, 127, 1]);
  assert.deepEqual([...toFloat64(t["u8"]!)], [0, 255]);
  assert.deepEqual([...toFloat32(t["bool"]!)], [1, 0, 0, 1, 1]);
  assert.throws(
    () => toFloat32({ dtype: "F16", shape: [1], data: Float32Array.of(1) }),
    /F16 cannot hold a Float32Array/,
  );
});
