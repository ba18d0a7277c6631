import type { FloatArray } from "./arrays.js";

/** Adam (Kingma & Ba) with bias correction; moments kept in float32 beside each parameter. */
export interface AdamMoments {
  first: Float32Array;
  second: Float32Array;
}

export const adamDefaults = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

export function adamMoments(size: number): AdamMoments {
  return { first: new Float32Array(size), second: new Float32Array(size) };
}

/** One update of `param` with `grad` at 1-based step `t` and learning rate `lr`. */
export function adamUpdate(
  param: FloatArray,
  grad: FloatArray,
  moments: AdamMoments,
  t: number,
  lr: number,
): void {
  const { beta1, beta2, epsilon } = adamDefaults;
  const { first, second } = moments;
  const step = lr / (1 - beta1 ** t);
  const correction2 = 1 / (1 - beta2 ** t);
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]!;
    const m = beta1 * first[i]! + (1 - beta1) * g;
    const v = beta2 * second[i]! + (1 - beta2) * g * g;
    first[i] = m;
    second[i] = v;
    param[i]! -= (step * m) / (Math.sqrt(v * correction2) + epsilon);
  }
}
