import type { Llama3RopeScaling, RopeStyle, RotaryConfig } from "./decoder-config.js";

/** cos and sin of position · inv_freq[i], [positions, dims/2], in float64. */
export interface RopeTable {
  readonly positions: number;
  readonly pairs: number;
  readonly cos: Float64Array;
  readonly sin: Float64Array;
}

/** inv_freq[i] = theta^(−2i/dims) for the dims/2 rotated pairs (transformers' default rope). */
export function inverseFrequencies(theta: number, dims: number): Float64Array {
  return Float64Array.from({ length: dims / 2 }, (_, i) => theta ** (-(2 * i) / dims));
}

/**
 * Llama 3.1's frequency scaling (transformers' _compute_llama3_parameters):
 * wavelengths longer than original/lowFreqFactor are slowed by `factor`,
 * shorter than original/highFreqFactor kept, and the band between blended.
 */
export function llama3Scaled(inverse: Float64Array, s: Llama3RopeScaling): Float64Array {
  const lowFreqWavelen = s.originalMaxPositions / s.lowFreqFactor;
  const highFreqWavelen = s.originalMaxPositions / s.highFreqFactor;
  return inverse.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen > lowFreqWavelen) return f / s.factor;
    if (wavelen < highFreqWavelen) return f;
    const smooth =
      (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return ((1 - smooth) * f) / s.factor + smooth * f;
  });
}

/** The rotary config's frequencies, scaling applied. */
export function rotaryFrequencies(rotary: RotaryConfig): Float64Array {
  const inverse = inverseFrequencies(rotary.theta, rotary.dims);
  return rotary.scaling === null ? inverse : llama3Scaled(inverse, rotary.scaling);
}

export function ropeTable(positions: number, frequencies: Float64Array): RopeTable {
  const pairs = frequencies.length;
  const cos = new Float64Array(positions * pairs);
  const sin = new Float64Array(positions * pairs);
  for (let i = 0; i < pairs; i++) {
    const frequency = frequencies[i]!;
    for (let p = 0; p < positions; p++) {
      cos[p * pairs + i] = Math.cos(p * frequency);
      sin[p * pairs + i] = Math.sin(p * frequency);
    }
  }
  return { positions, pairs, cos, sin };
}

/**
 * Rotate `heads` consecutive heads of one token in place: the `heads·headSize`
 * values of `x` starting at `offset`, at sequence position `position`. Only
 * the first 2·table.pairs dimensions of each head rotate (GPT-NeoX's partial
 * rotary); the rest pass through.
 */
export function applyRope(
  x: Float32Array,
  offset: number,
  heads: number,
  headSize: number,
  position: number,
  table: RopeTable,
  style: RopeStyle,
): void {
  const pairs = table.pairs;
  const base = position * pairs;
  // adjacent-pairs rotates (2i, 2i+1); half-split rotates (i, i + dims/2).
  const stride = style === "adjacent-pairs" ? 2 : 1;
  const partner = style === "adjacent-pairs" ? 1 : pairs;
  for (let h = 0; h < heads; h++) {
    const start = offset + h * headSize;
    for (let i = 0; i < pairs; i++) {
      const a = start + i * stride;
      const b = a + partner;
      const c = table.cos[base + i]!;
      const s = table.sin[base + i]!;
      const x0 = x[a]!;
      const x1 = x[b]!;
      x[a] = x0 * c - x1 * s;
      x[b] = x0 * s + x1 * c;
    }
  }
}
