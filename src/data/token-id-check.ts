/**
 * Token ids outside the dataset's vocabulary (shards harvested with another
 * tokenizer than the vocab.json beside them, or a damaged shard) would show
 * wrong text in the browser and fail late in the spliced loss, so they are
 * caught when the dataset is opened, naming the shard and the row. Only the
 * ids are read (4 bytes a row against d · 2–4 for the activations), a block at
 * a time.
 */
import type { ActivationFile } from "./activation-file.js";

/** Rows of token ids read at once: 4 MiB. */
const BLOCK_ROWS = 1 << 20;

/** The first row of `shard` whose token id is not in [0, vocabSize), or null. */
export async function firstTokenOutsideVocab(
  shard: ActivationFile,
  vocabSize: number,
): Promise<{ row: number; id: number } | null> {
  for (let start = 0; start < shard.rows; start += BLOCK_ROWS) {
    const ids = await shard.readTokenIds(start, Math.min(BLOCK_ROWS, shard.rows - start));
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id < 0 || id >= vocabSize) return { row: start + i, id };
    }
  }
  return null;
}
