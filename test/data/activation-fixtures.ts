import type { TokenRows } from "../../src/data/activation-file.js";
import { ActivationShardWriter, type ShardWriterOptions } from "../../src/data/activation-shard-writer.js";

/**
 * A deterministic stream of activation rows for tests: row r has values
 * r + c/8 (exact in f16 for small r) and belongs to a sequence whose lengths
 * cycle through 1..9, so shards must cut between uneven sequences.
 */
export function exampleRows(rows: number, d: number): { x: Float32Array; tokens: TokenRows } {
  const x = new Float32Array(rows * d);
  const tokens: TokenRows = {
    ids: new Int32Array(rows),
    sequence: new Int32Array(rows),
    position: new Int32Array(rows),
  };
  let sequence = 0;
  let position = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < d; c++) x[r * d + c] = (r % 1000) + c / 8;
    const length = (sequence % 9) + 1;
    if (position === length) {
      sequence++;
      position = 0;
    }
    tokens.ids[r] = (r * 7) % 50;
    tokens.sequence[r] = sequence;
    tokens.position[r] = position++;
  }
  return { x, tokens };
}

/** Rows [a, b) of an example stream. */
export function sliceRows(
  all: { x: Float32Array; tokens: TokenRows },
  d: number,
  a: number,
  b: number,
): { x: Float32Array; tokens: TokenRows } {
  return {
    x: all.x.slice(a * d, b * d),
    tokens: {
      ids: all.tokens.ids.slice(a, b),
      sequence: all.tokens.sequence.slice(a, b),
      position: all.tokens.position.slice(a, b),
    },
  };
}

/** Write `rows` example rows to `folder` in appends of `step` rows and finish. */
export async function writeExampleDataset(
  folder: string,
  rows: number,
  options: ShardWriterOptions,
  step = 37,
): Promise<{ x: Float32Array; tokens: TokenRows }> {
  const all = exampleRows(rows, options.d);
  const writer = await ActivationShardWriter.open(folder, options);
  for (let a = 0; a < rows; a += step) {
    const part = sliceRows(all, options.d, a, Math.min(rows, a + step));
    await writer.append(part.x, part.tokens);
  }
  await writer.finish();
  return all;
}
