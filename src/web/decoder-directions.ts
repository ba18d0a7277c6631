import { rowNorms } from "../kernels/sparse.js";

/**
 * An SAE's decoder rows d_j with their norms computed once, for "nearest
 * latents by decoder cosine" per request: one pass over the m rows, m·d work.
 * Rows are unit norm after cosae training, but imported SAEs need not be.
 */
export class DecoderDirections {
  private readonly norms: Float64Array;

  constructor(
    /** rows [m, d] */
    readonly rows: Float32Array,
    readonly m: number,
    readonly d: number,
  ) {
    if (rows.length !== m * d) throw new Error(`decoder has ${rows.length} values, expected m·d = ${m * d}`);
    this.norms = rowNorms(rows, m, d);
  }

  /** The `count` rows nearest to row `latent` of `from` (this SAE when omitted) by cosine, nearest first. */
  nearest(
    latent: number,
    count: number,
    from: DecoderDirections = this,
  ): { latent: number; cosine: number }[] {
    if (from.d !== this.d) throw new Error(`decoders of width ${from.d} and ${this.d} cannot be compared`);
    const { d } = this;
    const q = from.rows.subarray(latent * d, (latent + 1) * d);
    const qNorm = from.norms[latent]!;
    const best: { latent: number; cosine: number }[] = [];
    if (count < 1) return best;
    for (let j = 0; j < this.m; j++) {
      if (from === this && j === latent) continue;
      let dot = 0;
      for (let c = 0, o = j * d; c < d; c++, o++) dot += q[c]! * this.rows[o]!;
      const denominator = qNorm * this.norms[j]!;
      const cosine = denominator > 0 ? dot / denominator : 0;
      if (best.length === count) {
        if (cosine <= best[count - 1]!.cosine) continue;
        best.pop();
      }
      // a short sorted list: insertion is cheaper than sorting m values
      let at = best.length;
      while (at > 0 && best[at - 1]!.cosine < cosine) at--;
      best.splice(at, 0, { latent: j, cosine });
    }
    return best;
  }
}
