/**
 * The forward's norms and activations through the native addon
 * (native/layer_math.cc: vectorised, threaded), with layer-math.ts as the
 * fallback when the addon is not built or lacks them. Same contract; RMSNorm
 * gives the same bits, the activations agree to float32 rounding (≈1e-7).
 */
import { loadNativeAddon } from "../kernels/native-addon.js";
import type { NormConfig } from "./decoder-config.js";
import {
  type Activation,
  addBias,
  biasActivate,
  gatedActivate,
  normalize,
  normalizeAffine,
} from "./layer-math.js";

interface LayerMathAddon {
  rowsActivate(x: Float32Array, rows: number, width: number, bias: Float32Array | null, kind: number): void;
  gatedActivate(gateUp: Float32Array, rows: number, hidden: number, kind: number, out: Float32Array): void;
  normalizeRows(
    x: Float32Array,
    rows: number,
    width: number,
    layer: boolean,
    eps: number,
    gain: Float32Array | null,
    bias: Float32Array | null,
    out: Float32Array,
  ): void;
}

const KIND: Record<Activation, number> = { silu: 1, "gelu-tanh": 2, "gelu-erf": 3 };

let cached: LayerMathAddon | null | undefined;

/** The addon with its layer kernels, or null. */
export function nativeLayerMath(): LayerMathAddon | null {
  if (cached !== undefined) return cached;
  const candidate = loadNativeAddon().addon as unknown as Partial<LayerMathAddon> | null;
  cached =
    candidate && typeof candidate.rowsActivate === "function" && typeof candidate.normalizeRows === "function"
      ? (candidate as LayerMathAddon)
      : null;
  return cached;
}

/** `normalizeAffine` (layer-math.ts), native when available. */
export function fastNormalizeAffine(
  x: Float32Array,
  rows: number,
  norm: NormConfig,
  gain: Float32Array,
  bias: Float32Array | null,
): Float32Array {
  const addon = nativeLayerMath();
  if (!addon) return normalizeAffine(x, rows, norm, gain, bias);
  const out = new Float32Array(rows * gain.length);
  addon.normalizeRows(x, rows, gain.length, norm.kind === "layer", norm.eps, gain, bias, out);
  return out;
}

/** `normalize` (layer-math.ts), native when available. */
export function fastNormalize(x: Float32Array, rows: number, width: number, norm: NormConfig): Float32Array {
  const addon = nativeLayerMath();
  if (!addon) return normalize(x, rows, width, norm);
  const out = new Float32Array(rows * width);
  addon.normalizeRows(x, rows, width, norm.kind === "layer", norm.eps, null, null, out);
  return out;
}

/** In place: x[t, i] += bias[i], native when available. */
export function fastAddBias(x: Float32Array, rows: number, bias: Float32Array): void {
  const addon = nativeLayerMath();
  if (!addon) addBias(x, rows, bias);
  else addon.rowsActivate(x, rows, bias.length, bias, 0);
}

/** `biasActivate` (layer-math.ts), native when available. */
export function fastBiasActivate(
  x: Float32Array,
  rows: number,
  width: number,
  bias: Float32Array | null,
  activation: Activation,
): void {
  const addon = nativeLayerMath();
  if (!addon) biasActivate(x, rows, width, bias, activation);
  else addon.rowsActivate(x, rows, width, bias, KIND[activation]);
}

/** `gatedActivate` (layer-math.ts), native when available. */
export function fastGatedActivate(
  gateUp: Float32Array,
  rows: number,
  hidden: number,
  activation: Activation,
): Float32Array {
  const addon = nativeLayerMath();
  if (!addon) return gatedActivate(gateUp, rows, hidden, activation);
  const out = new Float32Array(rows * hidden);
  addon.gatedActivate(gateUp, rows, hidden, KIND[activation], out);
  return out;
}
