import type { SaeConfig } from "../../src/model/config.js";
import { allocateParams, type Sae } from "../../src/model/sae.js";
import { Rng } from "../../src/util/rng.js";

/** A small inner BatchTopK config with plain decoding, for hand-built test SAEs; `overrides` replace fields. */
export function testSaeConfig(overrides: Partial<SaeConfig> = {}): SaeConfig {
  return {
    d: 6,
    m: 10,
    k: 3,
    score: "inner",
    activation: "batchtopk",
    decode: "plain",
    cosineOf: "centred",
    alphaInit: 0.5,
    eps: 1e-6,
    ...overrides,
  };
}

/** A float64 SAE with every parameter random (non-unit rows, biases, gains, α inside (0, 1)). */
export function randomSae(overrides: Partial<SaeConfig>, seed = 1): Sae {
  const config = testSaeConfig(overrides);
  const rng = new Rng(seed, 99);
  const params = allocateParams(config, Float64Array);
  for (let i = 0; i < params.encoder.length; i++) params.encoder[i] = rng.normal();
  for (let i = 0; i < params.decoder.length; i++) params.decoder[i] = rng.normal() / Math.sqrt(config.d);
  for (let i = 0; i < params.bEnc.length; i++) params.bEnc[i] = 0.1 * rng.normal();
  for (let i = 0; i < params.bDec.length; i++) params.bDec[i] = 0.2 * rng.normal();
  for (let i = 0; i < params.logGain.length; i++) params.logGain[i] = 1 + 0.3 * rng.normal();
  for (let i = 0; i < params.alpha.length; i++) params.alpha[i] = 0.2 + 0.6 * rng.uniform();
  return { config, params, constants: { scale: 1.3, nu: 2.5, threshold: 0 } };
}

/** Random inputs whose norms vary over a factor of ~10, as real activations do. */
export function randomInputs(rows: number, d: number, seed = 2): Float64Array {
  const rng = new Rng(seed, 7);
  const x = new Float64Array(rows * d);
  for (let t = 0; t < rows; t++) {
    const size = Math.exp(rng.normal());
    for (let c = 0; c < d; c++) x[t * d + c] = size * (rng.normal() + 0.3);
  }
  return x;
}
