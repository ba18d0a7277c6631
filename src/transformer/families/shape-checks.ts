/** Checks of config numbers that must agree with one another, naming the fields. */
import type { ConfigReader } from "./config-reader.js";

/** Query heads must be a whole multiple of key/value heads (grouped-query attention). */
export function checkKvHeads(
  r: ConfigReader,
  heads: number,
  kvHeads: number,
  fields: { readonly heads: string; readonly kvHeads: string },
): void {
  if (kvHeads > heads || heads % kvHeads !== 0) {
    r.fail(
      `field "${fields.kvHeads}" ${kvHeads} does not divide "${fields.heads}" ${heads}; ` +
        "expected the query heads to be a whole multiple of the key/value heads",
    );
  }
}

/** hidden_size / heads when it is whole (the head width every family but Gemma 2 implies). */
export function checkDivides(
  r: ConfigReader,
  dim: number,
  heads: number,
  fields: { dim: string; heads: string },
): number {
  if (dim % heads !== 0) {
    r.fail(
      `field "${fields.heads}" ${heads} does not divide "${fields.dim}" ${dim}; ` +
        "expected the width to be a whole multiple of the number of heads",
    );
  }
  return dim / heads;
}

/** RoPE rotates pairs: the rotated width must be even and at least 2. */
export function checkRotaryDims(r: ConfigReader, dims: number, how: string): void {
  if (dims < 2 || dims % 2 !== 0) {
    r.fail(
      `the rotated width of each head, ${how} = ${dims}, is not a positive even number; RoPE rotates pairs`,
    );
  }
}
