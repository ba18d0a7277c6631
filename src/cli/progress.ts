import type { StepMetrics } from "../training/trainer.js";

/**
 * A one-line progress bar on stderr: redrawn in place on a terminal, printed
 * every few seconds otherwise (CI logs), always at the end.
 */
export class ProgressBar {
  private lastPrint = 0;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  /** `done` of `total` units finished; `detail` follows the bar (rates, losses). */
  show(done: number, detail: string): void {
    const now = Date.now();
    const last = done >= this.total;
    if (!last && now - this.lastPrint < (this.tty ? 100 : 5000)) return;
    this.lastPrint = now;
    const frac = this.total > 0 ? Math.min(done / this.total, 1) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
    const line = `${this.label} ${bar} ${(100 * frac).toFixed(0).padStart(3)}% ${detail}`;
    if (this.tty) this.stream.write(`\r\x1b[2K${line}${last ? "\n" : ""}`);
    else this.stream.write(`${line}\n`);
  }

  /** A training step's metrics. */
  update(m: StepMetrics): void {
    const alpha = m.alpha === null ? "" : ` α ${m.alpha.toFixed(3)}`;
    this.show(
      m.step,
      `step ${m.step}/${this.total} ${formatRate(m.tokensPerSecond)} tok/s loss ${m.loss.toPrecision(4)}` +
        ` FVU ${m.fvu.toFixed(3)} L0 ${m.l0.toFixed(1)} dead ${(100 * m.deadFraction).toFixed(1)}%${alpha}`,
    );
  }
}

export function formatRate(r: number): string {
  return r >= 1e4 ? `${(r / 1e3).toFixed(0)}k` : r.toFixed(0);
}
