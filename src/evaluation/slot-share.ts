import type { FloatArray, SparseRows } from "../kernels/arrays.js";
import { activeCount } from "./firing.js";
import { orderByNorm } from "./norm-order.js";

/** Where the active slots go as a function of token norm ‖x‖. */
export interface SlotShareByNorm {
  /** Mean L0 of the tokens in each tenth of ‖x‖, lowest norms first (NaN for an empty tenth). */
  decileMeanL0: number[];
  /** Share of all active slots taken by the ⌈0.01·N⌉ highest-norm tokens. */
  top1Share: number;
  /** Share of all active slots taken by the ⌈0.1·N⌉ highest-norm tokens. */
  top10Share: number;
}

/**
 * Number of tokens in the top fraction `q` of N: ⌈q·N⌉, with a hair of slack so
 * that a product like 0.07·100 = 7.000000000000001 is not rounded up to 8.
 */
export function topCount(q: number, n: number): number {
  return Math.min(n, Math.ceil(q * n * (1 - 1e-12)));
}

/**
 * Slot share by norm. Under BatchTopK a large token inflates all its scores and
 * can claim many slots whatever its content; this shows how much. Decile i holds
 * the tokens at sorted positions [⌊iN/10⌋, ⌊(i+1)N/10⌋). Tokens of equal norm at
 * a boundary are split by token index. Shares are NaN when nothing is active.
 */
export function slotShareByNorm(norms: FloatArray, codes: SparseRows): SlotShareByNorm {
  const n = codes.rows;
  if (norms.length !== n) throw new RangeError(`slotShareByNorm: ${norms.length} norms for ${n} tokens`);
  const order = orderByNorm(norms);
  // l0Sorted[i] = L0 of the i-th smallest-norm token.
  const l0Sorted = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const l0 = activeCount(codes, order[i]!);
    l0Sorted[i] = l0;
    total += l0;
  }

  const decileMeanL0: number[] = [];
  for (let dec = 0; dec < 10; dec++) {
    const from = Math.floor((dec * n) / 10);
    const to = Math.floor(((dec + 1) * n) / 10);
    let sum = 0;
    for (let i = from; i < to; i++) sum += l0Sorted[i]!;
    decileMeanL0.push(to > from ? sum / (to - from) : Number.NaN);
  }

  const shareOfTop = (q: number): number => {
    let sum = 0;
    for (let i = n - topCount(q, n); i < n; i++) sum += l0Sorted[i]!;
    return total > 0 ? sum / total : Number.NaN;
  };
  return { decileMeanL0, top1Share: shareOfTop(0.01), top10Share: shareOfTop(0.1) };
}
