/**
 * Wall time per phase of a training step, for the benchmark: `lap(phase)`
 * charges the time since the previous lap to `phase`. The trainer and the loss
 * take an optional clock, so timing costs nothing when nobody asks for it.
 */
export class PhaseClock {
  readonly totals = new Map<string, number>();
  private last = performance.now();

  lap(phase: string): void {
    const now = performance.now();
    this.totals.set(phase, (this.totals.get(phase) ?? 0) + (now - this.last));
    this.last = now;
  }

  /** Charges `ms` measured elsewhere (a GPU's timestamps) to `phase`. */
  add(phase: string, ms: number): void {
    this.totals.set(phase, (this.totals.get(phase) ?? 0) + ms);
  }

  /** Starts a new interval without charging the time since the last lap. */
  restart(): void {
    this.last = performance.now();
  }

  reset(): void {
    this.totals.clear();
    this.restart();
  }
}
