/**
 * The unembedding of a family with tie_word_embeddings: the token embedding
 * itself. A checkpoint may still store the head (older saves did): transformers
 * loads both names into one tied parameter, so cosae reads it only to check
 * that it equals the embedding, and refuses the folder when it does not.
 */
import type { DecoderConfig } from "../decoder-config.js";
import type { TakeTensor } from "./family.js";
import { WeightLayoutError } from "./weight-layout-error.js";

export function readClassifier(
  config: DecoderConfig,
  take: TakeTensor,
  has: (name: string) => boolean,
  embedding: Float32Array,
  names: { readonly embedding: string; readonly head: string },
): Float32Array {
  const shape = [config.vocabSize, config.dim];
  if (!config.sharedClassifier) return take(names.head, shape);
  if (has(names.head)) {
    const head = take(names.head, shape);
    const differs = head.findIndex((v, i) => v !== embedding[i]);
    if (differs >= 0) {
      throw new WeightLayoutError(
        `tensor "${names.head}" differs from "${names.embedding}" at index ${differs} ` +
          `(${head[differs]} vs ${embedding[differs]}), but config.json ties them (tie_word_embeddings true); ` +
          "expected the two to be equal, or tie_word_embeddings false for a separate head",
      );
    }
  }
  return embedding;
}
