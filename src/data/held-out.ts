/**
 * The held-out tail of an activation dataset: evaluation tokens that training
 * never sees. Training uses rows [0, start), evaluation rows [start, rows).
 */
import type { ActivationDataset } from "./activation-dataset.js";

/**
 * First held-out row for a tail of `count` rows: rows − count, moved back to
 * the start of the sequence it falls in (when the dataset has token rows), so
 * no sequence is split between training and evaluation and every held-out
 * sequence is whole — which the concept bank and the spliced loss need.
 */
export async function heldOutStart(dataset: ActivationDataset, count: number): Promise<number> {
  const { rows } = dataset;
  if (!(Number.isInteger(count) && count >= 0)) {
    throw new RangeError(`held-out rows: expected a whole number >= 0, got ${count}`);
  }
  if (count === 0) return rows;
  if (count >= rows) {
    throw new RangeError(
      `${dataset.path}: cannot hold out ${count} rows of ${rows}; nothing would be left to train on`,
    );
  }
  let start = rows - count;
  if (!dataset.hasTokens) return start;
  const sequenceAt = async (row: number) => (await dataset.readTokens(row, 1)).sequence[0]!;
  const sequence = await sequenceAt(start);
  // Walk back a block at a time to the first row of `sequence`.
  const block = 1024;
  while (start > 0) {
    const from = Math.max(0, start - block);
    const s = (await dataset.readTokens(from, start - from)).sequence;
    let i = s.length;
    while (i > 0 && s[i - 1] === sequence) i--;
    start = from + i;
    if (i > 0) break;
  }
  if (start === 0) {
    throw new RangeError(
      `${dataset.path}: the held-out tail of ${count} rows falls in the first sequence; nothing would be left to train on`,
    );
  }
  return start;
}
