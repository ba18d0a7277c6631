/**
 * The per-token arithmetic of a Llama block, as pure loops over row-major
 * float32 arrays (JS arithmetic is float64, so sums accumulate in float64).
 */

/** 1 / rms of x[o, o + width): 1 / sqrt(mean(x²) + eps), the sum in float64. */
function inverseRms(x: Float32Array, o: number, width: number, eps: number): number {
  let ss = 0;
  for (let i = 0; i < width; i++) ss += x[o + i]! * x[o + i]!;
  return 1 / Math.sqrt(ss / width + eps);
}

/** out[t] = x[t] / rms(x[t]) with rms = sqrt(mean(x²) + eps): the RMSNorm before its gain. */
export function rmsNormalize(x: Float32Array, rows: number, width: number, eps: number): Float32Array {
  const out = new Float32Array(rows * width);
  for (let t = 0; t < rows; t++) {
    const o = t * width;
    const inv = inverseRms(x, o, width, eps);
    for (let i = 0; i < width; i++) out[o + i] = x[o + i]! * inv;
  }
  return out;
}

/**
 * rmsNormalize then scaleColumns in one pass, with the same float32 rounding
 * of x / rms(x) in between, so the result is bitwise that of the two steps.
 */
export function rmsNormalizeScaled(
  x: Float32Array,
  rows: number,
  eps: number,
  gain: Float32Array,
): Float32Array {
  const width = gain.length;
  const out = new Float32Array(rows * width);
  for (let t = 0; t < rows; t++) {
    const o = t * width;
    const inv = inverseRms(x, o, width, eps);
    for (let i = 0; i < width; i++) out[o + i] = Math.fround(x[o + i]! * inv) * gain[i]!;
  }
  return out;
}

/** out[t, i] = x[t, i] · gain[i]. */
export function scaleColumns(x: Float32Array, rows: number, gain: Float32Array): Float32Array {
  const width = gain.length;
  const out = new Float32Array(rows * width);
  for (let t = 0; t < rows; t++) {
    const o = t * width;
    for (let i = 0; i < width; i++) out[o + i] = x[o + i]! * gain[i]!;
  }
  return out;
}

/** a + b, elementwise, into a new array. */
export function addArrays(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}

// exp(x) = 2^n · 2^(j/64) · e^r with x = (64n + j)·ln2/64 + r, |r| ≤ ln2/128, and
// a degree-4 polynomial for e^r: within 1e-13 of Math.exp for |x| ≤ 87 and twice
// as fast (Math.exp is a call; this inlines). Math.floor rather than a sign
// test to round, since a branch on the sign of random data mispredicts.
const EXP_K = 64 / Math.LN2;
const LN2_64_HI = 0.6931471803691238 / 64;
const LN2_64_LO = 1.9082149292705877e-10 / 64;
const POW2 = Float64Array.from({ length: 256 }, (_, i) => 2 ** (i - 128));
const POW2_FRACTION = Float64Array.from({ length: 64 }, (_, j) => 2 ** (j / 64));

/** e^x for |x| ≤ 87 (callers clamp), to ~1e-13 relative. */
export function expSmall(x: number): number {
  const k = Math.floor(x * EXP_K + 0.5);
  const r = x - k * LN2_64_HI - k * LN2_64_LO;
  const scale = POW2[((k >> 6) + 128) & 255]! * POW2_FRACTION[k & 63]!;
  return scale * (1 + r + r * r * (0.5 + r * (1 / 6 + r * (1 / 24))));
}

/**
 * SwiGLU: from gateUp [rows, 2·hidden] (gate in the first `hidden` columns,
 * up in the rest) returns silu(gate) · up [rows, hidden].
 */
export function swiglu(gateUp: Float32Array, rows: number, hidden: number): Float32Array {
  const out = new Float32Array(rows * hidden);
  for (let t = 0; t < rows; t++) {
    const g0 = t * 2 * hidden;
    const o = t * hidden;
    for (let i = 0; i < hidden; i++) {
      const g = gateUp[g0 + i]!;
      // Past ±87 e^-g leaves the float32 range: silu is then g, or within 1e-35 of 0.
      const clamped = Math.max(-87, Math.min(87, g));
      out[o + i] = (g / (1 + expSmall(-clamped))) * gateUp[g0 + hidden + i]!;
    }
  }
  return out;
}
