import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ScoreKind, scoreFacts, scoreKinds } from "../../../src/kernels/score-family.js";
import { applyScore } from "../../../src/kernels/score-transform.js";
import { selectBatchTopK } from "../../../src/kernels/select.js";
import type { DeviceCodes, StepShape } from "../../../src/kernels/webgpu/device-arrays.js";
import type { Gpu, GpuBuffer } from "../../../src/kernels/webgpu/gpu.js";
import { openNodeGpu } from "../../../src/kernels/webgpu/node-gpu.js";
import { applyScoreOnGpu, type DeviceScoreSpec } from "../../../src/kernels/webgpu/score-transform.js";
import { applyScoreSelectBatchTopKOnGpu, selectBatchTopKOnGpu } from "../../../src/kernels/webgpu/select.js";
import { Rng } from "../../../src/util/rng.js";

let gpu: Gpu;
before(async () => {
  gpu = await openNodeGpu({ swiftshader: true });
});
after(() => gpu?.destroy());

/** A score's inputs on the host (float32, as the device holds them) and on the device. */
interface Case {
  shape: StepShape;
  a: Float32Array;
  bias: Float32Array;
  gain: Float32Array;
  encoderNorm: Float32Array;
  alpha: Float32Array;
  norm: Float32Array;
  spec: DeviceScoreSpec;
  buffers: GpuBuffer[];
}

function makeCase(score: ScoreKind, rows: number, m: number, seed: number): Case {
  const rng = new Rng(seed, 4);
  const f32 = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));
  const { cosine, alpha: mode } = scoreFacts(score);
  const globalAlpha = 0.3 + 0.5 * rng.uniform();
  const c = {
    shape: { rows, d: 8, m, nu: 3.5, eps: 1e-6 },
    a: f32(rows * m, () => 4 * rng.normal()),
    bias: f32(m, () => 0.3 * rng.normal()),
    gain: f32(m, () => (cosine ? Math.exp(0.5 * rng.normal()) : 1)),
    encoderNorm: f32(m, () => (cosine ? 0.5 + rng.uniform() : 1)),
    // as DeviceLatentTerms holds α: 1 for inner, 0 for cosine, the global α repeated for blend
    alpha: f32(m, () =>
      mode === "per-latent" ? rng.uniform() : mode === "global" ? globalAlpha : cosine ? 0 : 1,
    ),
    // n_t spread around ν, with one empty row (n = 0)
    norm: f32(rows, (t) => (t === 1 ? 0 : 3.5 * Math.exp(rng.normal()))),
  };
  if (rows > 1) for (let j = 0; j < m; j++) c.a[m + j] = 0; // the empty row's products are 0
  const up = (name: string, x: Float32Array) => gpu.upload(name, x);
  const buffers = [
    up("b_enc", c.bias),
    up("g", c.gain),
    up("‖w‖", c.encoderNorm),
    up("α", c.alpha),
    up("n", c.norm),
  ];
  const [bias, gain, encoderNorm, alpha, norm] = buffers as [
    GpuBuffer,
    GpuBuffer,
    GpuBuffer,
    GpuBuffer,
    GpuBuffer,
  ];
  return { ...c, spec: { score, bias, terms: { gain, encoderNorm, alpha }, norm }, buffers };
}

/** applyScore in float64 on the same (float32) inputs. */
function referenceScores(c: Case): Float64Array {
  const p = Float64Array.from(c.a);
  const { rows, m, nu, eps } = c.shape;
  applyScore(p, rows, m, {
    score: c.spec.score,
    bias: Float64Array.from(c.bias),
    gain: Float64Array.from(c.gain),
    encoderNorm: Float64Array.from(c.encoderNorm),
    alpha: Float64Array.from(c.alpha),
    norm: Float64Array.from(c.norm),
    nu,
    eps,
  });
  return p;
}

function deviceCodes(rows: number, capacity: number): DeviceCodes {
  return {
    rows,
    capacity,
    rowStart: gpu.createBuffer("rowStart", (rows + 1) * 4),
    index: gpu.createBuffer("index", capacity * 4),
    value: gpu.createBuffer("value", capacity * 4),
  };
}

async function readCodes(codes: DeviceCodes): Promise<number[][]> {
  const rowStart = await gpu.readUint32(codes.rowStart, codes.rows + 1);
  const n = rowStart[codes.rows]!;
  return [
    Array.from(rowStart),
    Array.from(await gpu.readUint32(codes.index, n)),
    Array.from(await gpu.readFloat32(codes.value, n)),
  ];
}

test("the score transform on the GPU agrees with the float64 reference to 1e-5, for every score", async () => {
  for (const score of scoreKinds) {
    for (const [rows, m] of [
      [5, 33],
      [1, 1],
      [3, 70],
    ] as const) {
      const c = makeCase(score, rows, m, rows * 100 + m);
      const ab = gpu.upload("A", c.a);
      applyScoreOnGpu(gpu, ab, c.shape, c.spec);
      const got = await gpu.readFloat32(ab, rows * m);
      const want = referenceScores(c);
      let err = 0;
      let norm = 0;
      for (let i = 0; i < want.length; i++) {
        const b = c.bias[i % m]!;
        // each element within 1e-5 of its two terms' sizes (p = term + b_j may cancel)
        const scale = Math.abs(want[i]! - b) + Math.abs(b);
        assert.ok(
          Math.abs(got[i]! - want[i]!) <= 1e-5 * scale,
          `${score} ${rows}×${m} at ${i}: ${got[i]} vs ${want[i]}`,
        );
        err += (got[i]! - want[i]!) ** 2;
        norm += want[i]! ** 2;
      }
      assert.ok(Math.sqrt(err) <= 1e-5 * Math.sqrt(norm), `${score} ${rows}×${m}: relative error`);
      for (const b of [ab, ...c.buffers]) gpu.release(b);
    }
  }
});

test("the fused transform and BatchTopK equal the transform then BatchTopK, bit for bit, and the reference", async () => {
  for (const score of scoreKinds) {
    const rows = 8;
    const m = 40;
    const c = makeCase(score, rows, m, 7);
    // nothing, some (the cut inside the batch), and all positives (more asked than there are)
    for (const count of score === "cosine" ? [0, 30, rows * m] : [30]) {
      const runs: number[][][] = [];
      const scores: Float32Array[] = [];
      const minKepts: number[] = [];
      // twice fused (the same bits each time), then separately
      for (const fused of [true, true, false]) {
        const ab = gpu.upload("A", c.a);
        const codes = deviceCodes(rows, Math.max(1, count));
        const minKept = gpu.createBuffer("minKept", 4);
        if (fused) applyScoreSelectBatchTopKOnGpu(gpu, ab, c.shape, c.spec, count, codes, minKept);
        else {
          applyScoreOnGpu(gpu, ab, c.shape, c.spec);
          selectBatchTopKOnGpu(gpu, ab, rows, m, count, codes, minKept);
        }
        runs.push(await readCodes(codes));
        scores.push(await gpu.readFloat32(ab, rows * m));
        minKepts.push((await gpu.readFloat32(minKept, 1))[0]!);
        for (const b of [ab, codes.rowStart, codes.index, codes.value, minKept]) gpu.release(b);
      }
      const label = `${score}, count ${count}`;
      assert.deepEqual(runs[1], runs[0], `${label}: fused twice`);
      assert.deepEqual(runs[2], runs[0], `${label}: fused vs separate`);
      assert.deepEqual(scores[1], scores[0], `${label}: scores fused twice`);
      assert.deepEqual(scores[2], scores[0], `${label}: scores fused vs separate`);
      assert.equal(minKepts[2], minKepts[0], `${label}: minKept`);
      const want = selectBatchTopK(scores[0]!, rows, m, count);
      assert.deepEqual(
        runs[0],
        [Array.from(want.rowStart), Array.from(want.index), Array.from(want.value)],
        label,
      );
      assert.equal(minKepts[0], want.value.length > 0 ? Math.min(...want.value) : Number.POSITIVE_INFINITY);
    }
    for (const b of c.buffers) gpu.release(b);
  }
});
