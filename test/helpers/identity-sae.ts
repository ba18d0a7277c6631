import { allocateParams, type Sae } from "../../src/model/sae.js";
import { testSaeConfig } from "./random-sae.js";

/**
 * An SAE that reconstructs exactly: latents ±e_i with the inner score and
 * τ = 0, so z = (max(x_i, 0), max(−x_i, 0)) and x̂ = x.
 */
export function identitySae(d: number): Sae {
  const config = testSaeConfig({ d, m: 2 * d, k: d });
  const params = allocateParams(config);
  for (let i = 0; i < d; i++) {
    for (const [j, sign] of [
      [i, 1],
      [d + i, -1],
    ] as const) {
      params.encoder[j * d + i] = sign;
      params.decoder[j * d + i] = sign;
    }
  }
  return { config, params, constants: { scale: 1, nu: 1, threshold: 0 } };
}
