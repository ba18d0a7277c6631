import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { SparseRows } from "../../../src/kernels/arrays.js";
import { selectBatchTopK, selectTopK, selectTopKAmong } from "../../../src/kernels/select.js";
import type { DeviceCodes } from "../../../src/kernels/webgpu/device-arrays.js";
import type { Gpu, GpuBuffer } from "../../../src/kernels/webgpu/gpu.js";
import { openNodeGpu } from "../../../src/kernels/webgpu/node-gpu.js";
import {
  selectBatchTopKOnGpu,
  selectTopKAmongOnGpu,
  selectTopKOnGpu,
} from "../../../src/kernels/webgpu/select.js";
import { Rng } from "../../../src/util/rng.js";

let gpu: Gpu;
before(async () => {
  gpu = await openNodeGpu({ swiftshader: true });
});
after(() => gpu?.destroy());

/** Compressed rows on the device, for `capacity` entries; rowStart starts stale so a missed write shows. */
function deviceCodes(rows: number, capacity: number): DeviceCodes {
  const codes = {
    rows,
    capacity,
    rowStart: gpu.createBuffer("rowStart", (rows + 1) * 4),
    index: gpu.createBuffer("index", capacity * 4),
    value: gpu.createBuffer("value", capacity * 4),
  };
  gpu.write(codes.rowStart, new Uint32Array(rows + 1).fill(0xdead));
  return codes;
}

function releaseCodes(codes: DeviceCodes): void {
  for (const b of [codes.rowStart, codes.index, codes.value]) gpu.release(b);
}

interface HostCodes {
  rowStart: number[];
  index: number[];
  value: number[];
}

async function readCodes(codes: DeviceCodes): Promise<HostCodes> {
  const rowStart = await gpu.readUint32(codes.rowStart, codes.rows + 1);
  const n = rowStart[codes.rows]!;
  assert.ok(n <= codes.capacity, `rowStart[rows] = ${n} over the capacity ${codes.capacity}`);
  return {
    rowStart: Array.from(rowStart),
    index: Array.from(await gpu.readUint32(codes.index, n)),
    value: Array.from(await gpu.readFloat32(codes.value, n)),
  };
}

/** The same entries, bit for bit: row starts, latent ids and values. */
function assertSameCodes(got: HostCodes, want: SparseRows, label: string): void {
  assert.deepEqual(got.rowStart, Array.from(want.rowStart), `${label}: rowStart`);
  assert.deepEqual(got.index, Array.from(want.index), `${label}: index`);
  assert.deepEqual(got.value, Array.from(want.value), `${label}: value`);
}

/** Named score matrices [rows, m] that stress the selection: ties at the cut, no positives, odd shapes. */
function matrices(): Array<{ name: string; rows: number; m: number; p: Float32Array }> {
  const rng = new Rng(17, 3);
  const make = (rows: number, m: number, f: (t: number, j: number) => number) => {
    const p = new Float32Array(rows * m);
    for (let t = 0; t < rows; t++) for (let j = 0; j < m; j++) p[t * m + j] = f(t, j);
    return p;
  };
  const few = [-1, -0, 0, 0.25, 0.5, 0.5, 1, 1, 1, 2];
  // floats one ulp apart (the last digit decides), and spread over many exponents (the first decides)
  const ulps = new Float32Array(
    new Uint32Array([0x3f800000, 0x3f800001, 0x3f800002, 0x3f8003ff, 0x3f800400]).buffer,
  );
  return [
    { name: "random", rows: 13, m: 37, p: make(13, 37, () => rng.normal()) },
    { name: "few values (ties)", rows: 16, m: 24, p: make(16, 24, () => few[rng.int(few.length)]!) },
    { name: "one ulp apart", rows: 9, m: 20, p: make(9, 20, () => ulps[rng.int(ulps.length)]!) },
    {
      name: "many exponents",
      rows: 8,
      m: 30,
      p: make(8, 30, () => (rng.uniform() < 0.2 ? -1 : 10 ** (60 * rng.uniform() - 30))),
    },
    {
      name: "rows all negative",
      rows: 10,
      m: 16,
      p: make(10, 16, (t) => (t % 3 === 1 ? -1 - rng.uniform() : rng.normal())),
    },
    { name: "few positives", rows: 12, m: 20, p: make(12, 20, () => rng.normal() - 2.2) },
    { name: "no positives", rows: 5, m: 9, p: make(5, 9, () => -rng.uniform()) },
    { name: "all equal", rows: 6, m: 11, p: make(6, 11, () => 0.75) },
    { name: "one row", rows: 1, m: 50, p: make(1, 50, () => few[rng.int(few.length)]!) },
    { name: "m = 1", rows: 20, m: 1, p: make(20, 1, () => few[rng.int(few.length)]!) },
    // more candidates in a row than one tile of the writing pass (2048) and than one invocation's share
    { name: "long rows", rows: 2, m: 2500, p: make(2, 2500, () => few[rng.int(few.length)]!) },
  ];
}

test("BatchTopK on the GPU equals selectBatchTopK exactly, ties included, with the smallest kept value", async () => {
  for (const { name, rows, m, p } of matrices()) {
    const pb = gpu.upload("P", p);
    const minKept = gpu.createBuffer("minKept", 4);
    const total = rows * m;
    for (const count of new Set([0, 1, 3 * rows + 1, Math.floor(total / 2), total + 5])) {
      const want = selectBatchTopK(p, rows, m, count);
      const codes = deviceCodes(rows, Math.max(1, Math.min(count, total)));
      selectBatchTopKOnGpu(gpu, pb, rows, m, count, codes, minKept);
      const label = `${name} (${rows}×${m}), count ${count}`;
      assertSameCodes(await readCodes(codes), want, label);
      const smallest = want.value.length > 0 ? Math.min(...want.value) : Number.POSITIVE_INFINITY;
      assert.equal((await gpu.readFloat32(minKept, 1))[0], smallest, `${label}: minKept`);
      releaseCodes(codes);
    }
    gpu.release(pb);
    gpu.release(minKept);
  }
});

test("TopK on the GPU equals selectTopK exactly, ties in column order", async () => {
  for (const { name, rows, m, p } of matrices()) {
    const pb = gpu.upload("P", p);
    for (const k of new Set([0, 1, 3, m + 2])) {
      const want = selectTopK(p, rows, m, k);
      const codes = deviceCodes(rows, Math.max(1, rows * Math.min(k, m)));
      selectTopKOnGpu(gpu, pb, rows, m, k, codes);
      assertSameCodes(await readCodes(codes), want, `${name} (${rows}×${m}), k ${k}`);
      releaseCodes(codes);
    }
    gpu.release(pb);
  }
});

test("TopK among columns on the GPU equals selectTopKAmong exactly, indices as columns of P", async () => {
  const rng = new Rng(5, 8);
  for (const { name, rows, m, p } of matrices()) {
    const pb = gpu.upload("P", p);
    const every = Int32Array.from({ length: m }, (_, j) => j);
    const some = every.filter(() => rng.uniform() < 0.4);
    const cases: Array<[Int32Array, number]> = [
      [new Int32Array(0), 2],
      [every.subarray(m - 1), 1],
      [every, 3],
      [some, 0],
      [some, 2],
      [some, some.length + 1],
    ];
    for (const [columns, k] of cases) {
      const cb = gpu.upload("columns", Uint32Array.from(columns));
      {
        const want = selectTopKAmong(p, rows, m, columns, k);
        const codes = deviceCodes(rows, Math.max(1, rows * Math.min(k, columns.length)));
        selectTopKAmongOnGpu(gpu, pb, rows, m, cb, columns.length, k, codes);
        assertSameCodes(
          await readCodes(codes),
          want,
          `${name} (${rows}×${m}), ${columns.length} columns, k ${k}`,
        );
        releaseCodes(codes);
      }
      gpu.release(cb);
    }
    gpu.release(pb);
  }
});

test("the GPU selections give the same bits twice, and refuse codes too small for what they may keep", async () => {
  const { rows, m, p } = matrices()[1]!;
  const pb = gpu.upload("P", p);
  const minKept = gpu.createBuffer("minKept", 4);
  const runs: HostCodes[] = [];
  for (let run = 0; run < 2; run++) {
    const codes = deviceCodes(rows, 40);
    selectBatchTopKOnGpu(gpu, pb, rows, m, 40, codes, minKept);
    runs.push(await readCodes(codes));
    releaseCodes(codes);
  }
  assert.deepEqual(runs[1], runs[0]);
  assertSameCodes(runs[0]!, selectBatchTopK(p, rows, m, 40), "BatchTopK of 40");
  const small: DeviceCodes = deviceCodes(rows, 39);
  assert.throws(() => selectBatchTopKOnGpu(gpu, pb, rows, m, 40, small, minKept), /keep 40 entries.*hold 39/);
  assert.throws(() => selectTopKOnGpu(gpu, pb, rows, m, 3, small), /keep 48 entries.*hold 39/);
  releaseCodes(small);
  for (const b of [pb, minKept] as GpuBuffer[]) gpu.release(b);
});
