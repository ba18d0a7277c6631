/**
 * The per-token arithmetic of a decoder block (norms, activations), as pure
 * loops over row-major float32 arrays (JS arithmetic is float64, so sums
 * accumulate in float64).
 */
import type { DecoderConfig, NormConfig, NormWeights } from "./decoder-config.js";

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

/** (x − mean) / sqrt(var + eps) per row, sums in float64 (torch's LayerNorm, biased variance), before gain and bias. */
export function layerNormalize(x: Float32Array, rows: number, width: number, eps: number): Float32Array {
  const out = new Float32Array(rows * width);
  for (let t = 0; t < rows; t++) {
    const o = t * width;
    let sum = 0;
    for (let i = 0; i < width; i++) sum += x[o + i]!;
    const mean = sum / width;
    let ss = 0;
    for (let i = 0; i < width; i++) ss += (x[o + i]! - mean) ** 2;
    const inv = 1 / Math.sqrt(ss / width + eps);
    for (let i = 0; i < width; i++) out[o + i] = (x[o + i]! - mean) * inv;
  }
  return out;
}

/** The norm's value before its gain and bias: what `ln*.hook_normalized` shows (TransformerLens with fold_ln). */
export function normalize(x: Float32Array, rows: number, width: number, norm: NormConfig): Float32Array {
  return norm.kind === "rms"
    ? rmsNormalize(x, rows, width, norm.eps)
    : layerNormalize(x, rows, width, norm.eps);
}

/** The gain the normalized value is multiplied by: g, or Gemma's 1 + g rounded to float32 as torch computes it. */
export function effectiveGain(norm: NormConfig, weights: NormWeights): Float32Array {
  if (!norm.unitOffset) return weights.weight;
  return weights.weight.map((g) => 1 + g);
}

/** In place: x[t, i] = x[t, i] · gain[i] + bias[i] (bias optional). */
export function applyGainBias(
  x: Float32Array,
  rows: number,
  gain: Float32Array,
  bias: Float32Array | null,
): void {
  const width = gain.length;
  for (let t = 0; t < rows; t++) {
    const o = t * width;
    if (bias === null) for (let i = 0; i < width; i++) x[o + i] = x[o + i]! * gain[i]!;
    else for (let i = 0; i < width; i++) x[o + i] = x[o + i]! * gain[i]! + bias[i]!;
  }
}

/**
 * The whole norm, gain (effectiveGain) and bias applied. RMS without bias keeps
 * rmsNormalizeScaled's rounding, so the llama2.c path stays bitwise as it was.
 */
export function normalizeAffine(
  x: Float32Array,
  rows: number,
  norm: NormConfig,
  gain: Float32Array,
  bias: Float32Array | null,
): Float32Array {
  if (norm.kind === "rms" && bias === null) return rmsNormalizeScaled(x, rows, norm.eps, gain);
  const out = normalize(x, rows, gain.length, norm);
  applyGainBias(out, rows, gain, bias);
  return out;
}

/** In place: a[i] += b[i]. */
export function addInto(a: Float32Array, b: Float32Array): void {
  for (let i = 0; i < a.length; i++) a[i] = a[i]! + b[i]!;
}

/** In place: x[t, i] += bias[i]. */
export function addBias(x: Float32Array, rows: number, bias: Float32Array): void {
  const width = bias.length;
  for (let t = 0; t < rows; t++) {
    const o = t * width;
    for (let i = 0; i < width; i++) x[o + i] = x[o + i]! + bias[i]!;
  }
}

export type Activation = DecoderConfig["activation"];

/** silu(x) = x / (1 + e^-x). Past ±87 e^-x leaves the float32 range: silu is then x, or within 1e-35 of 0. */
export function silu(x: number): number {
  const clamped = Math.max(-87, Math.min(87, x));
  return x / (1 + expSmall(-clamped));
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** tanh through expSmall: 1 − 2 / (e^{2x} + 1), with the sign folded so e^{2|x|} never overflows. */
export function tanhFast(x: number): number {
  const a = Math.min(Math.abs(x), 20); // tanh(20) = 1 in float64 to 1e-17
  // For tiny |x| the subtraction loses digits: the Taylor form tanh x ≈ x − x³/3 holds to 1e-17 below 1e-4.
  if (a < 1e-4) return x - (x * x * x) / 3;
  const t = 1 - 2 / (expSmall(2 * a) + 1);
  return x < 0 ? -t : t;
}

/**
 * GELU with the tanh approximation (gelu_new, gelu_pytorch_tanh):
 * 0.5x(1 + tanh(u)) with u = √(2/π)(x + 0.044715x³), computed as x / (1 + e^{−2u})
 * (the same function: 1 + tanh u = 2 / (1 + e^{−2u})), one exponential and no branch.
 */
export function geluTanh(x: number): number {
  const u2 = 2 * SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
  // Past ±87 e^{−2u} leaves the float32 range: the result is then x, or within 1e-35 of 0.
  return x / (1 + expSmall(-Math.max(-87, Math.min(87, u2))));
}

// W. J. Cody, "Rational Chebyshev approximations for the error function",
// Math. Comp. 23 (1969) 631–638: the coefficients of his three intervals.
const ERF_A = [
  3.1611237438705655, 113.86415415105016, 377.485237685302, 3209.3775891384694, 0.18577770618460315,
];
const ERF_B = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171];
const ERFC_C = [
  0.5641884969886701, 8.883149794388377, 66.11919063714163, 298.6351381974001, 881.952221241769,
  1712.0476126340707, 2051.0783778260716, 1230.3393547979972, 2.1531153547440383e-8,
];
const ERFC_D = [
  15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903, 3290.7992357334597,
  4362.619090143247, 3439.3676741437216, 1230.3393548037495,
];
const ERFC_P = [
  0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275, 0.0006587491615298378,
  0.016315387137302097,
];
const ERFC_Q = [
  2.568520192289822, 1.8729528499234604, 0.5279051029514285, 0.06051834131244132, 0.0023352049762686918,
];
const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);

/** erf(x) for |x| ≤ 0.46875 (Cody's first interval). */
function erfSmall(x: number): number {
  const z = x * x;
  let num = ERF_A[4]! * z;
  let den = z;
  for (let i = 0; i < 3; i++) {
    num = (num + ERF_A[i]!) * z;
    den = (den + ERF_B[i]!) * z;
  }
  return (x * (num + ERF_A[3]!)) / (den + ERF_B[3]!);
}

/** erfc(y) for y > 0.46875, to ~1e-16 relative (Cody's second and third intervals). */
function erfcLarge(y: number): number {
  if (y >= 26.6) return 0;
  let r: number;
  if (y <= 4) {
    let num = ERFC_C[8]! * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + ERFC_C[i]!) * y;
      den = (den + ERFC_D[i]!) * y;
    }
    r = (num + ERFC_C[7]!) / (den + ERFC_D[7]!);
  } else {
    const z = 1 / (y * y);
    let num = ERFC_P[5]! * z;
    let den = z;
    for (let i = 0; i < 4; i++) {
      num = (num + ERFC_P[i]!) * z;
      den = (den + ERFC_Q[i]!) * z;
    }
    r = (INV_SQRT_PI - (z * (num + ERFC_P[4]!)) / (den + ERFC_Q[4]!)) / y;
  }
  // e^{-y²} as e^{-s²}·e^{-(y−s)(y+s)} with s = y rounded down to 1/16, so y² loses no digits.
  const s = Math.trunc(y * 16) / 16;
  return Math.exp(-s * s) * Math.exp(-(y - s) * (y + s)) * r;
}

/** The error function, to ~1e-16 relative (JS has none). */
export function erf(x: number): number {
  const y = Math.abs(x);
  if (y <= 0.46875) return erfSmall(x);
  const e = 1 - erfcLarge(y);
  return x < 0 ? -e : e;
}

/** 1 − erf(x), accurate in the tail where 1 − erf(x) would cancel. */
export function erfc(x: number): number {
  const y = Math.abs(x);
  if (y <= 0.46875) return 1 - erfSmall(x);
  const c = erfcLarge(y);
  return x < 0 ? 2 - c : c;
}

/** Exact GELU x·Φ(x) = 0.5·x·erfc(−x/√2) (erfc keeps the negative tail accurate). */
export function geluErf(x: number): number {
  return 0.5 * x * erfc(-x * Math.SQRT1_2);
}

/** The activation function by name. */
export function activationFunction(activation: Activation): (x: number) => number {
  return activation === "silu" ? silu : activation === "gelu-tanh" ? geluTanh : geluErf;
}

/** In place: x[t, i] = act(x[t, i] + bias[i]) (bias optional): a plain MLP's hidden layer. */
export function biasActivate(
  x: Float32Array,
  rows: number,
  width: number,
  bias: Float32Array | null,
  activation: Activation,
): void {
  const act = activationFunction(activation);
  for (let t = 0; t < rows; t++) {
    const o = t * width;
    if (bias === null) for (let i = 0; i < width; i++) x[o + i] = act(x[o + i]!);
    else for (let i = 0; i < width; i++) x[o + i] = act(x[o + i]! + bias[i]!);
  }
}

/**
 * A gated MLP's hidden layer: from gateUp [rows, 2·hidden] (gate in the first
 * `hidden` columns, up in the rest) returns act(gate) · up [rows, hidden].
 */
export function gatedActivate(
  gateUp: Float32Array,
  rows: number,
  hidden: number,
  activation: Activation,
): Float32Array {
  if (activation === "silu") return swiglu(gateUp, rows, hidden);
  const act = activationFunction(activation);
  const out = new Float32Array(rows * hidden);
  for (let t = 0; t < rows; t++) {
    const g0 = t * 2 * hidden;
    const o = t * hidden;
    for (let i = 0; i < hidden; i++) out[o + i] = act(gateUp[g0 + i]!) * gateUp[g0 + hidden + i]!;
  }
  return out;
}

/** In place: x → c · tanh(x / c) (Gemma 2's soft-capping). */
export function softcapInPlace(x: Float32Array, cap: number): void {
  for (let i = 0; i < x.length; i++) x[i] = cap * Math.tanh(x[i]! / cap);
}
