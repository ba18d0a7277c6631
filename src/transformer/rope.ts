import type { RopeStyle } from "./llama-config.js";

/** cos and sin of position · theta^(-2i/headSize), [positions, headSize/2], in float64. */
export interface RopeTable {
  readonly positions: number;
  readonly pairs: number;
  readonly cos: Float64Array;
  readonly sin: Float64Array;
}

export function ropeTable(positions: number, headSize: number, theta: number): RopeTable {
  const pairs = headSize / 2;
  const cos = new Float64Array(positions * pairs);
  const sin = new Float64Array(positions * pairs);
  for (let i = 0; i < pairs; i++) {
    const frequency = theta ** (-(2 * i) / headSize);
    for (let p = 0; p < positions; p++) {
      cos[p * pairs + i] = Math.cos(p * frequency);
      sin[p * pairs + i] = Math.sin(p * frequency);
    }
  }
  return { positions, pairs, cos, sin };
}

/**
 * Rotate `heads` consecutive heads of one token in place: the `heads·headSize`
 * values of `x` starting at `offset`, at sequence position `position`.
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
  const pairs = headSize / 2;
  const base = position * pairs;
  // adjacent-pairs rotates (2i, 2i+1); half-split rotates (i, i + headSize/2).
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
