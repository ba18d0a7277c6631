import type { FloatArray } from "../kernels/arrays.js";
import type { Rng } from "../util/rng.js";
import type { SaeConfig } from "./config.js";
import { allocateParams, type Sae } from "./sae.js";

/** How b_dec starts: the geometric median of the first tokens, or their mean. */
export type DecoderBiasInit = "geometric-median" | "mean";

/**
 * Initialisation (DESIGN §2) from a sample of raw inputs:
 * s so that E‖x̃‖² = d; b_dec the geometric median (or mean) of x̃; ν the mean
 * ‖x̃ − b_dec‖ (the mean ‖x̃‖ under cosineOf "uncentred"); decoder rows random unit vectors; encoder = decoder (tied
 * start); γ_j = ln(ν ‖w_j‖) so a typical token's cosine score g c r^α ≈ ν c
 * matches the inner product's ‖w‖ ‖x_c‖ c; b_enc = 0; α = alphaInit.
 */
export function initSae(
  config: SaeConfig,
  sample: FloatArray,
  rows: number,
  rng: Rng,
  bDecInit: DecoderBiasInit,
): Sae {
  const { d, m } = config;
  if (rows < 1) throw new Error("initSae: the estimation sample is empty");
  const params = allocateParams(config);

  let sumSq = 0;
  for (let i = 0; i < rows * d; i++) sumSq += sample[i]! ** 2;
  const scale = Math.sqrt(sumSq / rows / d);
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new Error(`initSae: cannot scale the input (mean ‖x‖²/d = ${sumSq / rows / d})`);
  }
  const scaled = new Float64Array(rows * d);
  for (let i = 0; i < rows * d; i++) scaled[i] = sample[i]! / scale;

  const centre = bDecInit === "mean" ? mean(scaled, rows, d) : geometricMedian(scaled, rows, d);
  params.bDec.set(centre);
  // ν is the mean ‖v‖ of the vector the score looks at: x_c, or x̃ (cosineOf "uncentred").
  const origin = config.cosineOf === "uncentred" ? new Float64Array(d) : centre;
  let nu = 0;
  for (let t = 0; t < rows; t++) nu += distance(scaled, t, origin, d);
  nu /= rows;

  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let c = 0; c < d; c++) {
      const v = rng.normal();
      params.decoder[j * d + c] = v;
      s += v * v;
    }
    const inv = 1 / Math.sqrt(s);
    for (let c = 0; c < d; c++) params.decoder[j * d + c]! *= inv;
  }
  params.encoder.set(params.decoder);
  params.logGain.fill(Math.log(nu)); // ‖w_j‖ = 1 at the tied start
  params.alpha.fill(config.alphaInit);
  return { config, params, constants: { scale, nu, threshold: 0 } };
}

function mean(x: Float64Array, rows: number, d: number): Float64Array {
  const out = new Float64Array(d);
  for (let t = 0; t < rows; t++) for (let c = 0; c < d; c++) out[c]! += x[t * d + c]!;
  for (let c = 0; c < d; c++) out[c]! /= rows;
  return out;
}

function distance(x: Float64Array, t: number, y: Float64Array, d: number): number {
  let s = 0;
  for (let c = 0; c < d; c++) s += (x[t * d + c]! - y[c]!) ** 2;
  return Math.sqrt(s);
}

/** Weiszfeld's iteration for the point minimising Σ‖x_t − y‖, started at the mean. */
export function geometricMedian(x: Float64Array, rows: number, d: number, iterations = 100): Float64Array {
  let y = mean(x, rows, d);
  for (let it = 0; it < iterations; it++) {
    const next = new Float64Array(d);
    let weights = 0;
    for (let t = 0; t < rows; t++) {
      const w = 1 / Math.max(distance(x, t, y, d), 1e-12);
      weights += w;
      for (let c = 0; c < d; c++) next[c]! += w * x[t * d + c]!;
    }
    let moved = 0;
    for (let c = 0; c < d; c++) {
      next[c]! /= weights;
      moved += (next[c]! - y[c]!) ** 2;
    }
    y = next;
    if (Math.sqrt(moved) < 1e-10) break;
  }
  return y;
}
