import type { FloatArray, FloatArrayConstructor } from "../kernels/arrays.js";
import { alphaCount, hasGain } from "../kernels/score-family.js";
import type { SaeConfig } from "./config.js";

/**
 * The learned parameters (DESIGN §2, §6). Encoder and decoder are both stored as
 * rows [m, d], one row per latent; SAELens's `W_enc` [d, m] is the encoder's
 * transpose and is produced only when files are written.
 */
export interface SaeParams {
  /** w_j, rows [m, d] */
  encoder: FloatArray;
  /** d_j, unit rows [m, d] */
  decoder: FloatArray;
  bEnc: FloatArray;
  bDec: FloatArray;
  /** γ_j, the gain is g_j = exp(γ_j); empty for `inner` */
  logGain: FloatArray;
  /** θ, used as α = clamp(θ, 0, 1) and kept in [0, 1] by projection; [1], [m] or empty */
  alpha: FloatArray;
}

export const paramNames = ["encoder", "decoder", "bEnc", "bDec", "logGain", "alpha"] as const;
export type ParamName = (typeof paramNames)[number];

/** Dataset constants frozen at initialisation, and the inference threshold. */
export interface SaeConstants {
  /** input scale s: x̃ = x / s with E‖x̃‖² = d */
  scale: number;
  /** ν: mean ‖x_c‖ (‖x̃‖ under cosineOf "uncentred") at initialisation, so a typical token has r ≈ 1 */
  nu: number;
  /** τ: BatchTopK's inference threshold (float64); 0 until training sets it */
  threshold: number;
  /** θ_j [m]: the per-latent thresholds of a `jumprelu` SAE (absent for every other activation) */
  thresholds?: Float32Array;
}

/** A sparse autoencoder: its config, learned parameters and constants. */
export interface Sae {
  config: SaeConfig;
  params: SaeParams;
  constants: SaeConstants;
}

/** Zero-filled parameters of the right shapes. */
export function allocateParams(config: SaeConfig, ctor: FloatArrayConstructor = Float32Array): SaeParams {
  const { d, m } = config;
  return {
    encoder: new ctor(m * d),
    decoder: new ctor(m * d),
    bEnc: new ctor(m),
    bDec: new ctor(d),
    logGain: new ctor(hasGain(config.score) ? m : 0),
    alpha: new ctor(alphaCount(config)),
  };
}

/** A deep copy, optionally in another precision (the float64 gradient-check path). */
export function cloneSae(sae: Sae, ctor?: FloatArrayConstructor): Sae {
  const params = {} as SaeParams;
  for (const name of paramNames) {
    const src = sae.params[name];
    params[name] = ctor ? ctor.from(src) : src.slice();
  }
  const constants = { ...sae.constants };
  if (sae.constants.thresholds) constants.thresholds = sae.constants.thresholds.slice();
  return { config: { ...sae.config }, params, constants };
}
