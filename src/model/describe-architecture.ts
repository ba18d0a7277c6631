import { isCosine } from "../kernels/score-family.js";
import type { SaeConfig } from "./config.js";

/**
 * An SAE's architecture in one line for command headers (inspect, eval): the score
 * and, for the cosine family, what it looks at, then sparsifier, decoding and shape,
 * e.g. "cosine score of x̃ (uncentred), batchtopk k=8, plain decoding, d 64, m 512".
 */
export function describeArchitecture(c: SaeConfig): string {
  const origin = !isCosine(c.score) ? "" : c.cosineOf === "uncentred" ? " of x̃ (uncentred)" : " of x_c";
  const k = c.activation === "jumprelu" ? "" : ` k=${c.k}`;
  return `${c.score} score${origin}, ${c.activation}${k}, ${c.decode} decoding, d ${c.d}, m ${c.m}`;
}
