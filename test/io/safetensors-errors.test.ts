import assert from "node:assert/strict";
import { open, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  SafetensorsError,
  type TensorEntry,
} from "../../src/io/safetensors.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const NAME = "bad.safetensors";

const dir = useTemporaryFolder("cosae-st-bad-");

/** A file from a raw header (bytes or text) and a data buffer of `dataBytes` bytes. */
function fileWith(header: string | Uint8Array, dataBytes: number): Uint8Array {
  const head = typeof header === "string" ? Buffer.from(header, "utf8") : header;
  const out = new Uint8Array(8 + head.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  return out;
}

function headerOf(entries: Record<string, unknown>): string {
  return JSON.stringify(entries);
}

/** Both readers (in memory and from disk) must refuse `bytes` with a message matching every pattern. */
async function assertRefused(bytes: Uint8Array, ...patterns: RegExp[]): Promise<void> {
  const check = (err: unknown, source: string): true => {
    assert.ok(err instanceof SafetensorsError, `expected a SafetensorsError, got ${String(err)}`);
    assert.ok(err.message.includes(source), `message should name the file: ${err.message}`);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  };
  assert.throws(
    () => decodeSafetensors(bytes, NAME),
    (err: unknown) => check(err, NAME),
  );
  const path = join(dir(), NAME);
  await writeFile(path, bytes);
  await assert.rejects(readSafetensors(path), (err: unknown) => check(err, path));
}

test("file shorter than the 8-byte length prefix", async () => {
  await assertRefused(new Uint8Array(0), /0 bytes, shorter than the 8-byte header length/);
  await assertRefused(Uint8Array.of(1, 0, 0, 0, 0), /5 bytes, shorter than the 8-byte header length/);
});

test("header length beyond the end of the file", async () => {
  const bytes = fileWith("{}", 0);
  new DataView(bytes.buffer).setBigUint64(0, 1000n, true);
  await assertRefused(
    bytes,
    /header length 1000 \(file bytes 0\.\.8\) runs past the end of the 10-byte file/,
  );
  new DataView(bytes.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
  await assertRefused(bytes, /header length 18446744073709551615/);
});

test("header larger than the 100 MB limit is refused before it is read", async () => {
  const path = join(dir(), "huge.safetensors");
  const fh = await open(path, "w");
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, 200_000_000n, true);
  await fh.write(prefix, 0, 8, 0);
  await fh.truncate(8 + 200_000_000); // sparse: costs no disk
  await fh.close();
  await assert.rejects(
    readSafetensors(path),
    /huge\.safetensors: header length 200000000 exceeds the 100000000-byte limit/,
  );
  await rm(path);
});

test("header that is not UTF-8, not JSON, or not an object", async () => {
  await assertRefused(
    fileWith(Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d), 0),
    /header \(file bytes 8\.\.12\) is not valid UTF-8/,
  );
  await assertRefused(fileWith('{"a":', 0), /header \(file bytes 8\.\.13\) is not valid JSON/);
  await assertRefused(fileWith("[]", 0), /header must be a JSON object, got an array/);
  await assertRefused(fileWith("null", 0), /header must be a JSON object, got null/);
});

test("entry that is not an object or misses a field", async () => {
  await assertRefused(
    fileWith(headerOf({ w: 5 }), 0),
    /tensor "w": expected an object \{dtype, shape, data_offsets\}/,
  );
  const full = { dtype: "F32", shape: [1], data_offsets: [0, 4] };
  for (const field of ["dtype", "shape", "data_offsets"] as const) {
    const entry: Record<string, unknown> = { ...full };
    delete entry[field];
    await assertRefused(
      fileWith(headerOf({ w: entry }), 4),
      new RegExp(`tensor "w": missing field "${field}"`),
    );
  }
});

test("unknown dtype", async () => {
  await assertRefused(
    fileWith(headerOf({ w: { dtype: "Q4", shape: [1], data_offsets: [0, 1] } }), 1),
    /tensor "w": unknown dtype "Q4"; expected one of F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL/,
  );
  await assertRefused(
    fileWith(headerOf({ w: { dtype: 4, shape: [1], data_offsets: [0, 1] } }), 1),
    /unknown dtype 4/,
  );
});

test("negative, fractional or non-numeric shape", async () => {
  for (const shape of [[-1], [1.5], ["2"], 3, [2, null]]) {
    await assertRefused(
      fileWith(headerOf({ w: { dtype: "U8", shape, data_offsets: [0, 0] } }), 0),
      /tensor "w": shape .* must be a list of non-negative integers/,
    );
  }
});

test("data_offsets of the wrong form or the wrong length for the shape", async () => {
  for (const offsets of [[0], [0, 4, 8], [-4, 0], [0, 2.5], "0,4", [0, "4"]]) {
    await assertRefused(
      fileWith(headerOf({ w: { dtype: "U8", shape: [4], data_offsets: offsets } }), 4),
      /tensor "w": data_offsets .* must be two non-negative integers \[begin, end\]/,
    );
  }
  await assertRefused(
    fileWith(headerOf({ w: { dtype: "U8", shape: [0], data_offsets: [4, 0] } }), 4),
    /tensor "w": data_offsets \[4, 0\] end before they begin/,
  );
  await assertRefused(
    fileWith(headerOf({ w: { dtype: "F32", shape: [2, 3], data_offsets: [0, 20] } }), 20),
    /tensor "w": data_offsets \[0, 20\] span 20 bytes; expected 24 \(shape \[2, 3\] of F32, 4 bytes each\)/,
  );
});

test("offsets outside the data buffer", async () => {
  await assertRefused(
    fileWith(headerOf({ w: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }), 8),
    /tensor "w": data_offsets \[0, 16\] run past the end of the 8-byte data buffer/,
  );
});

test("overlapping tensors", async () => {
  await assertRefused(
    fileWith(
      headerOf({
        a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
        b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
      }),
      12,
    ),
    /tensor "b" data_offsets \[4, 12\] overlap tensor "a" \[0, 8\]/,
  );
});

test("bytes not covered by any tensor: a gap, a tail, or data with no tensors", async () => {
  const header = headerOf({
    a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
    b: { dtype: "F32", shape: [1], data_offsets: [8, 12] },
  });
  const headLen = Buffer.byteLength(header);
  await assertRefused(
    fileWith(header, 12),
    new RegExp(
      `data buffer bytes 4\\.\\.8 \\(file bytes ${8 + headLen + 4}\\.\\.${8 + headLen + 8}\\) are not covered`,
    ),
  );
  await assertRefused(
    fileWith(headerOf({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }), 8),
    /data buffer bytes 4\.\.8 .* are not covered by any tensor/,
  );
  await assertRefused(fileWith("{}", 3), /data buffer bytes 0\.\.3 .* are not covered by any tensor/);
});

test("metadata that is not a map of strings", async () => {
  await assertRefused(
    fileWith(headerOf({ __metadata__: { step: 3 } }), 0),
    /"__metadata__"\."step" must be a string, got number 3/,
  );
  await assertRefused(
    fileWith(headerOf({ __metadata__: ["x"] }), 0),
    /"__metadata__" must be an object, got an array/,
  );
});

test("encoding refuses entries whose data does not fit the dtype or shape", () => {
  const bad =
    (entry: TensorEntry): (() => unknown) =>
    () =>
      encodeSafetensors({ w: entry });
  assert.throws(
    bad({ dtype: "F16", shape: [2], data: Float32Array.of(1, 2) }),
    /tensor "w": dtype F16 cannot hold a Float32Array/,
  );
  assert.throws(
    bad({ dtype: "F32", shape: [2, 2], data: Float32Array.of(1, 2) }),
    /shape \[2, 2\] needs 4 elements, data has 2/,
  );
  assert.throws(
    bad({ dtype: "F32", shape: [-2], data: Float32Array.of(1, 2) }),
    /shape \[-2\] is not a list/,
  );
  assert.throws(
    bad({ dtype: "F8" as TensorEntry["dtype"], shape: [1], data: Uint8Array.of(1) }),
    /unknown dtype "F8"/,
  );
  const entry: TensorEntry = { dtype: "U8", shape: [1], data: Uint8Array.of(1) };
  assert.throws(() => encodeSafetensors({ __metadata__: entry }), /"__metadata__": the name is reserved/);
  const notString = { n: 3 } as unknown as Record<string, string>;
  assert.throws(() => encodeSafetensors({}, notString), /metadata "n" must be a string/);
});

test("a valid file passes the same checks (the helpers build well-formed files too)", async () => {
  const bytes = fileWith(
    headerOf({
      a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
      z: { dtype: "U8", shape: [0], data_offsets: [4, 4] },
      b: { dtype: "U8", shape: [2], data_offsets: [4, 6] },
    }),
    6,
  );
  assert.deepEqual(Object.keys(decodeSafetensors(bytes, NAME).tensors).sort(), ["a", "b", "z"]);
});
