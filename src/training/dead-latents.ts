/** Tokens since each latent last fired; a latent is dead after `deadTokens` of silence (DESIGN §3). */
export class DeadLatentTracker {
  constructor(
    readonly tokensSinceFired: Float64Array,
    private readonly deadTokens: number,
  ) {}

  static fresh(m: number, deadTokens: number): DeadLatentTracker {
    return new DeadLatentTracker(new Float64Array(m), deadTokens);
  }

  deadCount(): number {
    let n = 0;
    for (const v of this.tokensSinceFired) if (v >= this.deadTokens) n++;
    return n;
  }

  /** The dead latents' ids, ascending. */
  deadIds(): Int32Array {
    const ids: number[] = [];
    for (let j = 0; j < this.tokensSinceFired.length; j++)
      if (this.tokensSinceFired[j]! >= this.deadTokens) ids.push(j);
    return Int32Array.from(ids);
  }

  /** After a batch of `rows` tokens in which the latents `fired` fired. */
  update(rows: number, fired: ArrayLike<number>): void {
    const since = this.tokensSinceFired;
    for (let j = 0; j < since.length; j++) since[j]! += rows;
    for (let i = 0; i < fired.length; i++) since[fired[i]!] = 0;
  }
}
