/**
 * Everything computed once over the cache's tokens that the per-latent views
 * read: the table (latent-table.ts) and the records (build-latent-record.ts).
 */
import type { TokenRows } from "../data/activation-file.js";
import type { ConceptAlignment } from "../evaluation/concept-alignment.js";
import type { SparseRows } from "../kernels/arrays.js";
import type { DecoderLogits } from "./decoder-logits.js";
import type { LatentLists } from "./latent-lists.js";

export interface FeatureData {
  /** inference codes of the cache's N tokens (row t = dataset row firstRow + t) */
  codes: SparseRows;
  /** their token ids, sequences and positions */
  tokens: TokenRows;
  firstRow: number;
  /** the codes in latent order, highest activation first */
  lists: LatentLists;
  /** ‖x_t‖ in raw units */
  norms: Float64Array;
  /** α_j */
  alpha: Float64Array;
  /** per latent, NaN where too few fires */
  normAuroc: Float64Array;
  isNormDetector: Uint8Array;
  /** the concept bank's names and each latent's best concepts, null without a bank */
  concepts: { names: readonly string[]; alignment: ConceptAlignment } | null;
  /** promoted / suppressed tokens, null without a model */
  logits: DecoderLogits | null;
  /** display string of a token id */
  tokenString(id: number): string;
}
