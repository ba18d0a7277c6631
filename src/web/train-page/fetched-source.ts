/**
 * An ActivationSource in the browser: batch i of B rows comes from the server
 * that serves the page (GET /api/train/batch), which reads it from disk as
 * `cosae train --data` would. The trainer asks for batches in order, so the
 * next one is fetched while the current step computes.
 */
import type { ActivationSource } from "../../data/source.js";
import type { TrainingDataMeta } from "../training-api.js";

export class FetchedActivationSource implements ActivationSource {
  readonly d: number;
  readonly description: string;
  private ahead: { index: number; size: number; batch: Promise<Float32Array> } | null = null;

  constructor(
    meta: TrainingDataMeta,
    private readonly seed: number,
  ) {
    this.d = meta.d;
    this.description = `activations ${meta.dataset}, streamed by cosae serve --train with seed ${seed}`;
  }

  trainBatch(index: number, size: number): Promise<Float32Array> {
    const ahead = this.ahead;
    const batch = ahead?.index === index && ahead.size === size ? ahead.batch : this.fetchBatch(index, size);
    const next = this.fetchBatch(index + 1, size);
    // A prefetch that fails is reported when it is asked for, not as an unhandled rejection.
    next.catch(() => undefined);
    this.ahead = { index: index + 1, size, batch: next };
    return batch;
  }

  private async fetchBatch(index: number, size: number): Promise<Float32Array> {
    const url = `/api/train/batch?index=${index}&size=${size}&seed=${this.seed}`;
    const response = await fetch(url);
    if (!response.ok) {
      const why = await response
        .json()
        .then((body: { error?: string }) => body.error ?? response.statusText)
        .catch(() => response.statusText);
      throw new Error(`batch ${index} of ${size} rows: the server answered ${response.status}: ${why}`);
    }
    const bytes = await response.arrayBuffer();
    if (bytes.byteLength !== size * this.d * 4)
      throw new Error(
        `batch ${index}: expected ${size} rows of d = ${this.d} (${size * this.d * 4} bytes), got ${bytes.byteLength} bytes`,
      );
    // The server sends float32 little-endian, which every browser's Float32Array reads natively.
    return new Float32Array(bytes);
  }
}
