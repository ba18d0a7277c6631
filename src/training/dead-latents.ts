import type { SparseRows } from "../kernels/arrays.js";

/** Tokens since each latent last fired; a latent is dead after `deadTokens` of silence (DESIGN §3). */
export class DeadLatentTracker {
  constructor(
    readonly tokensSinceFired: Float64Array,
    private readonly deadTokens: number,
  ) {}

  static fresh(m: number, deadTokens: number): DeadLatentTracker {
    return new DeadLatentTracker(new Float64Array(m), deadTokens);
  }

  /** 1 for each dead latent. */
  deadMask(): Uint8Array {
    const mask = new Uint8Array(this.tokensSinceFired.length);
    for (let j = 0; j < mask.length; j++) mask[j] = this.tokensSinceFired[j]! >= this.deadTokens ? 1 : 0;
    return mask;
  }

  deadCount(): number {
    let n = 0;
    for (const v of this.tokensSinceFired) if (v >= this.deadTokens) n++;
    return n;
  }

  update(codes: SparseRows): void {
    const since = this.tokensSinceFired;
    for (let j = 0; j < since.length; j++) since[j]! += codes.rows;
    for (const j of codes.index) since[j] = 0;
  }
}
