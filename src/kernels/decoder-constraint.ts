import { type AdamMoments, adamUpdate } from "./adam.js";
import type { FloatArray } from "./arrays.js";

/**
 * The decoder rows live on the unit sphere: the gradient of each row is
 * projected onto the row's tangent space before the step, and the row is
 * renormalised after it.
 */
export function projectToTangent(decoder: FloatArray, grad: FloatArray, d: number): void {
  const m = decoder.length / d;
  for (let j = 0; j < m; j++) {
    const o = j * d;
    let dot = 0;
    for (let c = 0; c < d; c++) dot += decoder[o + c]! * grad[o + c]!;
    if (dot === 0) continue;
    for (let c = 0; c < d; c++) grad[o + c]! -= dot * decoder[o + c]!;
  }
}

export function normaliseRows(decoder: FloatArray, d: number): void {
  const m = decoder.length / d;
  for (let j = 0; j < m; j++) {
    const o = j * d;
    let s = 0;
    for (let c = 0; c < d; c++) s += decoder[o + c]! ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < d; c++) decoder[o + c]! *= inv;
  }
}

/** One decoder step: the tangent projection, Adam, and renormalisation (the native kernel fuses them per row). */
export function adamUpdateOnSphere(
  decoder: FloatArray,
  grad: FloatArray,
  moments: AdamMoments,
  t: number,
  lr: number,
  d: number,
): void {
  projectToTangent(decoder, grad, d);
  adamUpdate(decoder, grad, moments, t, lr);
  normaliseRows(decoder, d);
}
