/**
 * A linear probe: logistic regression on standardised features (each column
 * centred and scaled by its training-rows standard deviation, so the one L2
 * penalty treats latents of any magnitude alike and the fit is well
 * conditioned), returned in the features' own units, and scored on held-out rows.
 */
import { fitLogistic, type LogisticOptions } from "./logistic-regression.js";

export interface LinearProbe {
  /** w in the features' own units: the probe predicts 1 where w · x + b > 0 */
  weights: Float64Array;
  bias: number;
}

/** A probe's held-out accuracy and F1. */
export interface ProbeScore {
  accuracy: number;
  /** F1 of the positive class (0 when it is never predicted and never present) */
  f1: number;
}

/**
 * Fits a probe on rows `[0, train)` of `x` ([n, p] row-major) with labels `y`.
 * `penalty` is λ on the summed log-loss, Σ loss + (λ/2)‖w‖², as scikit-learn's
 * LogisticRegression has it (λ = 1/C; SAEBench's probes keep its default C = 1),
 * so a small task is regularised more than a large one.
 * A column constant on the training rows carries no information and gets weight 0.
 */
export function fitProbe(
  x: Float64Array,
  y: Uint8Array,
  train: number,
  p: number,
  penalty: number,
  options: Partial<Omit<LogisticOptions, "l2">> = {},
): LinearProbe {
  const mean = new Float64Array(p);
  const scale = new Float64Array(p);
  for (let i = 0; i < train; i++) for (let c = 0; c < p; c++) mean[c]! += x[i * p + c]!;
  for (let c = 0; c < p; c++) mean[c]! /= train;
  for (let i = 0; i < train; i++) for (let c = 0; c < p; c++) scale[c]! += (x[i * p + c]! - mean[c]!) ** 2;
  for (let c = 0; c < p; c++) {
    const sd = Math.sqrt(scale[c]! / train);
    scale[c] = sd > 1e-12 * (1 + Math.abs(mean[c]!)) ? sd : 0;
  }
  const standard = new Float64Array(train * p);
  for (let i = 0; i < train; i++) {
    for (let c = 0; c < p; c++) {
      const s = scale[c]!;
      standard[i * p + c] = s === 0 ? 0 : (x[i * p + c]! - mean[c]!) / s;
    }
  }
  const fit = fitLogistic(standard, y.subarray(0, train), train, p, { ...options, l2: penalty / train });
  // w_std · (x − μ)/σ + b = (w_std/σ) · x + (b − Σ w_std μ/σ)
  const weights = new Float64Array(p);
  let bias = fit.bias;
  for (let c = 0; c < p; c++) {
    if (scale[c] === 0) continue;
    weights[c] = fit.weights[c]! / scale[c]!;
    bias -= weights[c]! * mean[c]!;
  }
  return { weights, bias };
}

/** w · x_i + b for row i of `x` ([n, p]). */
export function probeLogit(probe: LinearProbe, x: ArrayLike<number>, i: number, p: number): number {
  let z = probe.bias;
  for (let c = 0; c < p; c++) z += probe.weights[c]! * x[i * p + c]!;
  return z;
}

/** Accuracy and F1 of the probe on rows `[from, to)`. */
export function scoreProbe(
  probe: LinearProbe,
  x: Float64Array,
  y: Uint8Array,
  from: number,
  to: number,
  p: number,
): ProbeScore {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let correct = 0;
  for (let i = from; i < to; i++) {
    const predicted = probeLogit(probe, x, i, p) > 0 ? 1 : 0;
    const actual = y[i]!;
    if (predicted === actual) correct++;
    if (predicted && actual) tp++;
    else if (predicted) fp++;
    else if (actual) fn++;
  }
  const rows = to - from;
  return {
    accuracy: rows > 0 ? correct / rows : Number.NaN,
    f1: tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0,
  };
}
