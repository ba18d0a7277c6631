import assert from "node:assert/strict";
import { test } from "node:test";
import {
  effectiveGain,
  erf,
  erfc,
  geluErf,
  geluTanh,
  layerNormalize,
  normalizeAffine,
  softcapInPlace,
  tanhFast,
} from "../../src/transformer/layer-math.js";
import { inverseFrequencies, llama3Scaled } from "../../src/transformer/rope.js";

const close = (a: number, b: number, rel: number, what: string) =>
  assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs ${b}`);

test("erf and erfc equal tabulated values to 1e-14 relative, tails included", () => {
  // Values of CPython's math.erf / math.erfc (correctly rounded to ~1 ulp).
  const table: [number, number][] = [
    [0.1, 0.1124629160182849],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2, 0.9953222650189527],
    [-0.3, -0.3286267594591274],
  ];
  for (const [x, v] of table) close(erf(x), v, 1e-14, `erf(${x})`);
  const tails: [number, number][] = [
    [3, 2.209049699858544e-5],
    [5, 1.5374597944280349e-12],
    [10, 2.088487583762545e-45],
    [-2, 1.9953222650189528],
  ];
  for (const [x, v] of tails) close(erfc(x), v, 1e-13, `erfc(${x})`);
  assert.equal(erf(0), 0);
});

test("GELU: the exact one and the tanh approximation at known points", () => {
  // x·Φ(x): Φ(1) = 0.8413447460685429, Φ(−3) = 0.0013498980316301035.
  close(geluErf(1), 0.8413447460685429, 1e-14, "gelu(1)");
  close(geluErf(-3), -3 * 0.0013498980316301035, 1e-12, "gelu(-3)");
  close(geluErf(-10), -10 * 7.619853024160593e-24, 1e-10, "gelu(-10)");
  // gelu_new(1) = 0.5·(1 + tanh(√(2/π)·1.044715)).
  close(geluTanh(1), 0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * 1.044715)), 1e-12, "gelu_new(1)");
  for (const x of [-30, -4, -1e-6, 0.01, 0.7, 3, 25]) close(tanhFast(x), Math.tanh(x), 1e-9, `tanh(${x})`);
  assert.equal(geluTanh(0), 0);
});

test("LayerNorm: (x − mean)/sqrt(var + eps)·g + b; Gemma's gain is 1 + g", () => {
  const x = Float32Array.from([1, 2, 3, 6, -1, 0, 1, 0]);
  const n = layerNormalize(x, 2, 4, 0);
  // Row 1: mean 3, variance (4 + 1 + 0 + 9)/4 = 3.5.
  const s = Math.sqrt(3.5);
  assert.deepEqual(Array.from(n.subarray(0, 4)), [-2 / s, -1 / s, 0, 3 / s].map(Math.fround));
  const norm = { kind: "layer" as const, eps: 1e-5, unitOffset: false };
  const out = normalizeAffine(x, 2, norm, Float32Array.from([2, 2, 2, 2]), Float32Array.from([1, 0, 0, 0]));
  close(out[0]!, (2 * -2) / Math.sqrt(3.5 + 1e-5) + 1, 1e-6, "affine");
  const gain = effectiveGain(
    { kind: "rms", eps: 1e-6, unitOffset: true },
    { weight: Float32Array.from([0, -0.5]), bias: null },
  );
  assert.deepEqual(Array.from(gain), [1, 0.5]);
});

test("soft-capping: c·tanh(x/c)", () => {
  const x = Float32Array.from([0, 10, -100, 1e6]);
  softcapInPlace(x, 30);
  assert.deepEqual(Array.from(x), [0, 30 * Math.tanh(1 / 3), 30 * Math.tanh(-100 / 30), 30].map(Math.fround));
});

test("llama3 rope scaling keeps high frequencies, divides low ones by the factor, blends the band between", () => {
  // Llama 3.2: theta 500000, head 64, factor 32, low/high freq factor 1/4, original 8192 positions.
  const inverse = inverseFrequencies(500000, 64);
  close(inverse[1]!, 500000 ** (-2 / 64), 1e-15, "inv_freq[1]");
  const scaled = llama3Scaled(inverse, {
    kind: "llama3",
    factor: 32,
    lowFreqFactor: 1,
    highFreqFactor: 4,
    originalMaxPositions: 8192,
  });
  // Wavelength 2π/f: below 8192/4 = 2048 kept, above 8192 divided by 32, between blended.
  for (let i = 0; i < 32; i++) {
    const f = inverse[i]!;
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < 2048) assert.equal(scaled[i], f, `pair ${i}`);
    else if (wavelen > 8192) close(scaled[i]!, f / 32, 1e-15, `pair ${i}`);
    else {
      const s = (8192 / wavelen - 1) / 3;
      close(scaled[i]!, (1 - s) * (f / 32) + s * f, 1e-15, `pair ${i}`);
    }
  }
  // Pair 13: f = 500000^(−26/64) ≈ 4.8697e-3, wavelength ≈ 1290 < 2048: kept. Pair 20: wavelength ≈ 11 000: f/32.
  assert.equal(scaled[13], inverse[13]);
  close(scaled[20]!, 500000 ** (-40 / 64) / 32, 1e-15, "pair 20");
  // Pair 16: wavelength 2π·500000^(1/2) ≈ 4443, in the band: s = (8192/4443 − 1)/3 ≈ 0.281.
  const w16 = 2 * Math.PI * Math.sqrt(500000);
  const s16 = (8192 / w16 - 1) / 3;
  close(scaled[16]!, (1 - s16) * (1 / Math.sqrt(500000) / 32) + s16 / Math.sqrt(500000), 1e-14, "pair 16");
});
