import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { f16ToF32, f32ToF16 } from "../../src/io/half.js";
import {
  encodeNpy,
  npyToFloat32,
  npyToInt32,
  parseNpyHeader,
  readNpy,
  readNpyHeader,
  readNpyRows,
  writeNpy,
} from "../../src/io/npy.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const dir = useTemporaryFolder("cosae-npy-");

function bytesOf(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/** The header numpy's np.save writes for a (2, 3) float32 array, built by hand. */
function handBuiltHeader(): Uint8Array {
  const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const text = `${dict}${" ".repeat(128 - 10 - dict.length - 1)}\n`; // data starts at byte 128
  const out = new Uint8Array(128);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]); // magic, v1.0, header length 118 (u16 LE)
  out.set(Buffer.from(text, "latin1"), 10);
  return out;
}

test("writeNpy writes numpy's byte layout, and it reads back", async () => {
  const x = Float32Array.from([0, 1, 2, 3, 4.5, -5]);
  const path = join(dir(), "a.npy");
  await writeNpy(path, x, [2, 3]);
  const bytes = readFileSync(path);
  const header = handBuiltHeader();
  assert.deepEqual(new Uint8Array(bytes.subarray(0, 128)), header);
  assert.deepEqual(new Uint8Array(bytes.subarray(128)), new Uint8Array(x.buffer));
  const back = await readNpy(path);
  assert.deepEqual(back.header.shape, [2, 3]);
  assert.equal(back.header.dtype, "f4");
  assert.equal(back.header.dataOffset, 128);
  assert.deepEqual(back.data, x);
});

test("every dtype round-trips, and row ranges equal slices of the full read", async () => {
  const rows = 7;
  const cols = 5;
  const values = Array.from({ length: rows * cols }, (_, i) => (i % 11) - 4.25);
  const cases = [
    { name: "f4", data: Float32Array.from(values) },
    { name: "f2", data: f32ToF16(Float32Array.from(values)) },
    { name: "f8", data: Float64Array.from(values) },
    { name: "i4", data: Int32Array.from(values.map(Math.round)) },
    { name: "i8", data: BigInt64Array.from(values.map((v) => BigInt(Math.round(v)))) },
  ] as const;
  for (const c of cases) {
    const path = join(dir(), `rt-${c.name}.npy`);
    await writeNpy(path, c.data, [rows, cols]);
    const full = await readNpy(path);
    assert.equal(full.header.dtype, c.name);
    assert.deepEqual(full.data, c.data, c.name);
    for (const [start, count] of [
      [0, rows],
      [2, 3],
      [6, 1],
      [3, 0],
    ] as const) {
      const part = await readNpyRows(full.header, start, count);
      assert.deepEqual(
        part,
        c.data.slice(start * cols, (start + count) * cols),
        `${c.name} rows ${start}+${count}`,
      );
    }
  }
  // Conversions: f2 widens exactly, i8 narrows to int32.
  const f2 = await readNpy(join(dir(), "rt-f2.npy"));
  assert.deepEqual(npyToFloat32("f2", f2.data), f16ToF32(cases[1].data));
  const i8 = await readNpy(join(dir(), "rt-i8.npy"));
  assert.deepEqual(npyToInt32("i8", i8.data, "x"), Int32Array.from(values.map(Math.round)));
  // 1-D arrays: shape (n,)
  await writeNpy(join(dir(), "one.npy"), Int32Array.from([4, 5, 6]), [3]);
  const one = await readNpy(join(dir(), "one.npy"));
  assert.deepEqual(one.header.shape, [3]);
  assert.deepEqual(await readNpyRows(one.header, 1, 2), Int32Array.from([5, 6]));
});

test("files numpy wrote (v1, v2, v3 headers) parse from byte literals", async () => {
  // np.lib.format.write_array(f, np.array([[1, 2], [3, 4]], dtype="<i8"), version=(1, 0))
  const v1 =
    "934e554d5059010076007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c" +
    "20277368617065273a2028322c2032292c207d20202020202020202020202020202020202020202020202020202020202020" +
    "2020202020202020202020202020202020202020202020202020200a01000000000000000200000000000000030000000000" +
    "00000400000000000000";
  // version=(2, 0) and (3, 0) of np.array([1.5, -2], dtype="<f2")
  const v2 =
    "934e554d50590200740000007b276465736372273a20273c6632272c2027666f727472616e5f6f72646572273a2046616c73" +
    "652c20277368617065273a2028322c292c207d20202020202020202020202020202020202020202020202020202020202020" +
    "2020202020202020202020202020202020202020202020202020200a003e00c0";
  const v3 = `934e554d50590300${v2.slice(16)}`;
  const p1 = join(dir(), "v1.npy");
  await writeFile(p1, bytesOf(v1));
  const a = await readNpy(p1);
  assert.equal(a.header.version, 1);
  assert.deepEqual(a.header.shape, [2, 2]);
  assert.deepEqual(a.data, BigInt64Array.from([1n, 2n, 3n, 4n]));
  for (const [name, hex, version] of [
    ["v2.npy", v2, 2],
    ["v3.npy", v3, 3],
  ] as const) {
    const p = join(dir(), name);
    await writeFile(p, bytesOf(hex));
    const b = await readNpy(p);
    assert.equal(b.header.version, version);
    assert.equal(b.header.dtype, "f2");
    assert.deepEqual(b.header.shape, [2]);
    assert.deepEqual(npyToFloat32("f2", b.data), Float32Array.from([1.5, -2]));
  }
});

/** A v1 file with a custom header dict and `dataBytes` of data. */
function npyWith(dict: string, dataBytes: number): Uint8Array {
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const out = new Uint8Array(total + dataBytes);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, total - 10, true);
  out.set(Buffer.from(`${dict}${" ".repeat(total - 10 - dict.length - 1)}\n`, "latin1"), 10);
  return out;
}

test("bad .npy files are refused with the file and the field or offset", async () => {
  const good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const cases: Array<[string, Uint8Array, RegExp]> = [
    [
      "truncated.npy",
      npyWith(good, 20),
      /file is 148 bytes; header shape \(2, 3\) of <f4 needs 152 .*truncated/,
    ],
    ["long.npy", npyWith(good, 28), /file is 156 bytes; header shape \(2, 3\) of <f4 needs 152/],
    [
      "fortran.npy",
      npyWith("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24),
      /field 'fortran_order' is True; only C-order arrays are supported/,
    ],
    [
      "bigendian.npy",
      npyWith("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", 24),
      /field 'descr' is '>f4': big-endian data is not supported/,
    ],
    [
      "complex.npy",
      npyWith("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3), }", 48),
      /field 'descr' is '<c8': unsupported dtype \(expected one of <f4, <f2, <f8, <i4, <i8\)/,
    ],
    [
      "noshape.npy",
      npyWith("{'descr': '<f4', 'fortran_order': False, }", 24),
      /header is missing the field 'shape'/,
    ],
    [
      "badshape.npy",
      npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", 24),
      /field 'shape' is \[2,-3\]; expected a tuple of non-negative integers/,
    ],
    [
      "garbled.npy",
      npyWith("{'descr': '<f4' 'shape': (2, 3)}", 24),
      /not a valid Python dict literal at character 16/,
    ],
    [
      "magic.npy",
      Buffer.from("PK\u0003\u0004 this is a zip file, not npy"),
      /bytes 0\.\.6 are not the \.npy magic/,
    ],
    ["tiny.npy", Buffer.from([0x93, 0x4e]), /file is 2 bytes, too short/],
  ];
  const version = npyWith(good, 24);
  version[6] = 4;
  cases.push(["version.npy", version, /byte 6: format version 4\.0; expected 1\.0, 2\.0 or 3\.0/]);
  const length = npyWith(good, 24);
  new DataView(length.buffer).setUint16(8, 5000, true);
  cases.push([
    "length.npy",
    length,
    /header length 5000 \(bytes 8\.\.10\) runs past the end of the 152-byte file/,
  ]);
  for (const [name, bytes, pattern] of cases) {
    const path = join(dir(), name);
    await writeFile(path, bytes);
    await assert.rejects(readNpyHeader(path), (e: Error) => {
      assert.match(e.message, pattern, name);
      assert.ok(e.message.startsWith(`${path}: `), e.message);
      return true;
    });
  }
  // A 1-D array may be marked Fortran order: the layout is the same.
  const fortran1d = npyWith("{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }", 12);
  assert.deepEqual(parseNpyHeader(fortran1d, fortran1d.length, "x").shape, [3]);
  // Python 2 long literals (3L) are read.
  const py2 = npyWith("{'descr': '<i4', 'fortran_order': False, 'shape': (3L,), }", 12);
  assert.deepEqual(parseNpyHeader(py2, py2.length, "x").shape, [3]);
  // Ranges outside the array, and writer misuse.
  const ok = join(dir(), "ok.npy");
  await writeNpy(ok, new Float32Array(6), [2, 3]);
  await assert.rejects(readNpyRows(await readNpyHeader(ok), 1, 2), /rows \[1, 3\) are outside the 2 rows/);
  assert.throws(() => encodeNpy(new Float32Array(5), [2, 3]), /shape \(2, 3\) does not match 5 elements/);
  assert.throws(
    () => npyToInt32("i8", BigInt64Array.from([2n ** 40n]), "t.npy"),
    /t\.npy: element 0 .* fits in int32/,
  );
});
