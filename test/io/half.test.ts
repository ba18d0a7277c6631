import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bf16BitsToNumber,
  bf16ToF32,
  f16BitsToNumber,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  numberToBf16Bits,
  numberToF16Bits,
} from "../../src/io/half.js";

/** Independent decoding of binary16 from its fields, as the IEEE definition reads. */
function f16Oracle(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m === 0 ? s * Number.POSITIVE_INFINITY : Number.NaN;
  if (e === 0) return s * m * 2 ** -24;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function bf16Oracle(h: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, h << 16);
  return view.getFloat32(0);
}

const ALL = Uint16Array.from({ length: 65536 }, (_, i) => i);

function isNaNBits16(h: number, expBits: number, mantMask: number): boolean {
  return (h & expBits) === expBits && (h & mantMask) !== 0;
}

test("f16 -> f32 is exact on all 65536 patterns and f32 -> f16 restores every bit", () => {
  const wide = f16ToF32(ALL);
  for (let h = 0; h < 65536; h++) {
    const want = f16Oracle(h);
    if (Number.isNaN(want)) assert.ok(Number.isNaN(wide[h]!), `0x${h.toString(16)} should widen to NaN`);
    else assert.ok(Object.is(wide[h], want), `0x${h.toString(16)}: got ${wide[h]}, want ${want}`);
  }
  const back = f32ToF16(wide);
  for (let h = 0; h < 65536; h++)
    assert.equal(back[h], h, `pattern 0x${h.toString(16)} came back 0x${back[h]!.toString(16)}`);
});

test("scalar f16 conversions agree with the oracle on all patterns", () => {
  for (let h = 0; h < 65536; h++) {
    const v = f16BitsToNumber(h);
    if (isNaNBits16(h, 0x7c00, 0x3ff)) {
      assert.ok(Number.isNaN(v));
      assert.equal(numberToF16Bits(v), 0x7e00);
    } else {
      assert.ok(Object.is(v, f16Oracle(h)));
      assert.equal(numberToF16Bits(v), h);
    }
  }
});

test("bf16 -> f32 is exact on all 65536 patterns and f32 -> bf16 restores every bit", () => {
  const wide = bf16ToF32(ALL);
  for (let h = 0; h < 65536; h++) {
    const want = bf16Oracle(h);
    if (Number.isNaN(want)) assert.ok(Number.isNaN(wide[h]!));
    else assert.ok(Object.is(wide[h], want), `0x${h.toString(16)}`);
  }
  const back = f32ToBf16(wide);
  for (let h = 0; h < 65536; h++) assert.equal(back[h], h, `pattern 0x${h.toString(16)}`);
  for (let h = 0; h < 65536; h++) {
    const v = bf16BitsToNumber(h);
    if (isNaNBits16(h, 0x7f80, 0x7f)) assert.equal(numberToBf16Bits(v), 0x7fc0);
    else assert.equal(numberToBf16Bits(v), h, `pattern 0x${h.toString(16)}`);
  }
});

test("f16 known values", () => {
  const cases: Array<[number, number]> = [
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [65519.99, 0x7bff],
    [65520, 0x7c00], // the midpoint above the largest finite rounds to even: Inf
    [1e6, 0x7c00],
    [Number.NEGATIVE_INFINITY, 0xfc00],
    [0, 0x0000],
    [-0, 0x8000],
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // half of it: tie to even (zero)
    [2 ** -25 * 1.0001, 0x0001],
    [3 * 2 ** -25, 0x0002], // 1.5 subnormal steps: tie to even (2)
    [1023 * 2 ** -24, 0x03ff], // largest subnormal
    [1023.5 * 2 ** -24, 0x0400], // tie rounds up into the smallest normal
    [2 ** -14, 0x0400],
    [1 + 2 ** -11, 0x3c00], // tie between 1 and 1+2^-10: even is 1
    [1 + 3 * 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02: even is 0x3c02
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie
    [2047.5 * 2 ** -10, 0x4000], // mantissa carry into the exponent
  ];
  for (const [x, bits] of cases) {
    assert.equal(numberToF16Bits(x), bits, `number ${x}`);
    if (Math.fround(x) === x) assert.equal(f32ToF16(Float32Array.of(x))[0], bits, `float32 ${x}`);
  }
  const nan = f32ToF16(Float32Array.of(Number.NaN))[0]!;
  assert.ok(isNaNBits16(nan, 0x7c00, 0x3ff), `NaN became 0x${nan.toString(16)}`);
  assert.equal(numberToF16Bits(Number.NaN), 0x7e00);
  assert.equal(f16BitsToNumber(0x0001), 2 ** -24);
  assert.equal(f16BitsToNumber(0x7bff), 65504);
});

test("bf16 known values", () => {
  const maxBf16 = (2 - 2 ** -7) * 2 ** 127;
  const cases: Array<[number, number]> = [
    [1, 0x3f80],
    [-1, 0xbf80],
    [1 + 2 ** -8, 0x3f80], // tie to even
    [1 + 3 * 2 ** -8, 0x3f82], // tie to even (up)
    [1 + 2 ** -8 + 2 ** -20, 0x3f81],
    [maxBf16, 0x7f7f],
    [(2 - 2 ** -8) * 2 ** 127, 0x7f80], // midpoint above the largest finite: Inf
    [3.4028234663852886e38, 0x7f80], // f32 max rounds up to Inf in bf16
    [2 ** -133, 0x0001], // smallest bf16 subnormal
    [2 ** -134, 0x0000], // tie to even
    [2 ** -126, 0x0080],
    [-0, 0x8000],
    [Number.POSITIVE_INFINITY, 0x7f80],
  ];
  for (const [x, bits] of cases) {
    assert.equal(numberToBf16Bits(x), bits, `number ${x}`);
    if (Math.fround(x) === x) assert.equal(f32ToBf16(Float32Array.of(x))[0], bits, `float32 ${x}`);
  }
  assert.equal(numberToBf16Bits(Number.NaN), 0x7fc0);
  assert.equal(bf16BitsToNumber(0x3f80), 1);
});

test("float64 input is rounded once, not via float32 (no double rounding)", () => {
  // Just above a tie: correct is to round up; rounding to f32 first lands on the tie, then goes to even.
  const x16 = 1 + 2 ** -11 + 2 ** -40;
  assert.equal(numberToF16Bits(x16), 0x3c01);
  assert.equal(f32ToF16(Float64Array.of(x16))[0], 0x3c01);
  assert.equal(f32ToF16(Float32Array.of(x16))[0], 0x3c00); // the float32 input really is the tie
  const xb = 1 + 2 ** -8 + 2 ** -40;
  assert.equal(numberToBf16Bits(xb), 0x3f81);
  assert.equal(f32ToBf16([xb])[0], 0x3f81);
});

/** f32 values at and one ulp around the midpoint between consecutive half values. */
function midpointProbes(
  widen: (h: number) => number,
  lastFinite: number,
): { x: Float32Array; want: Uint16Array } {
  const xs: number[] = [];
  const want: number[] = [];
  const bits = new Uint32Array(1);
  const f = new Float32Array(bits.buffer);
  for (let h = 0; h < lastFinite; h++) {
    const lo = widen(h);
    const hi = widen(h + 1);
    f[0] = (lo + hi) / 2; // exact: a half midpoint has few enough bits for f32
    assert.equal(f[0], (lo + hi) / 2);
    const even = (h & 1) === 0 ? h : h + 1;
    for (const [delta, w] of [
      [-1, h],
      [0, even],
      [1, h + 1],
    ] as const) {
      const b = bits[0]!;
      bits[0] = b + delta;
      xs.push(f[0]);
      want.push(w);
      bits[0] = b;
    }
  }
  const n = xs.length;
  const x = new Float32Array(2 * n);
  const w = new Uint16Array(2 * n);
  for (let i = 0; i < n; i++) {
    x[i] = xs[i]!;
    w[i] = want[i]!;
    x[n + i] = -xs[i]!;
    w[n + i] = want[i]! | 0x8000;
  }
  return { x, want: w };
}

test("f16 rounding around every midpoint, float32 path and number path agree", () => {
  const { x, want } = midpointProbes(f16BitsToNumber, 0x7bff);
  const got = f32ToF16(x);
  const gotNumbers = f32ToF16(Float64Array.from(x));
  for (let i = 0; i < x.length; i++) {
    assert.equal(got[i], want[i], `float32 ${x[i]}`);
    assert.equal(gotNumbers[i], want[i], `number ${x[i]}`);
  }
});

test("bf16 rounding around every midpoint, float32 path and number path agree", () => {
  const { x, want } = midpointProbes(bf16BitsToNumber, 0x7f7f);
  const got = f32ToBf16(x);
  const gotNumbers = f32ToBf16(Array.from(x));
  for (let i = 0; i < x.length; i++) {
    assert.equal(got[i], want[i], `float32 ${x[i]}`);
    assert.equal(gotNumbers[i], want[i], `number ${x[i]}`);
  }
});

test("random float32 bit patterns: both paths agree", () => {
  const bits = new Uint32Array(200_000);
  let s = 0x12345678;
  for (let i = 0; i < bits.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    bits[i] = s;
  }
  const x = new Float32Array(bits.buffer);
  const viaBits16 = f32ToF16(x);
  const viaBitsB = f32ToBf16(x);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (Number.isNaN(v)) continue;
    assert.equal(viaBits16[i], numberToF16Bits(v), `f16 of 0x${bits[i]!.toString(16)}`);
    assert.equal(viaBitsB[i], numberToBf16Bits(v), `bf16 of 0x${bits[i]!.toString(16)}`);
  }
});

test("output arrays of the wrong length are refused", () => {
  assert.throws(() => f16ToF32(new Uint16Array(3), new Float32Array(2)), /output length 2, expected 3/);
  assert.throws(() => f32ToBf16(new Float32Array(3), new Uint16Array(4)), /output length 4, expected 3/);
});
