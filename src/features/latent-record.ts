/**
 * What the feature browser shows: the feature cache holds it, the server sends
 * it as JSON, the page draws it. Types only, shared by all three (the page
 * imports them too, so nothing here may use Node).
 */

/** One SAE as the browser lists it. */
export interface SaeOverview {
  /** short name shown on the page: the run folder's name (…/cosine-k8/sae → "cosine-k8") */
  label: string;
  /** "cosae", or "saelens:<architecture>" for an imported SAELens folder */
  architecture: string;
  score: string;
  activation: string;
  decode: string;
  d: number;
  m: number;
  k: number;
  /** the hook and model of the activation dataset, when its manifest names them */
  hook: string | null;
  model: string | null;
  /** the dataset rows encoded for the cache: [firstRow, firstRow + tokens) */
  firstRow: number;
  tokens: number;
  /** measures on those tokens (DESIGN §4), null where they do not apply */
  measures: {
    fvu: number;
    l0: number;
    deadShare: number;
    normDetectorShare: number;
    alignedShare: number | null;
    /** median α over latents; null for inner and cosine */
    alphaMedian: number | null;
  };
  /** is there a concept bank (best concept / F1 columns) and an unembedding (promoted tokens)? */
  hasConcepts: boolean;
  hasUnembedding: boolean;
}

/** Per-latent summary columns, each of length m (columnar: 16k latents stay small). */
export interface LatentTable {
  /** share of the cache's tokens on which the latent fires */
  frequency: number[];
  /** mean activation over the tokens it fires on (0 if it never fires) */
  meanActivation: number[];
  maxActivation: number[];
  /** α_j: 1 for inner, 0 for cosine, the learned value otherwise */
  alpha: number[];
  /** AUROC of ‖x‖ for firing vs not firing; null below the minimum number of fires */
  normAuroc: (number | null)[];
  /** true when AUROC ≥ 0.9 and the latent is not aligned with a concept (DESIGN §4) */
  normDetector: boolean[];
  /** best concept by F1 and that F1; null / 0 without a concept bank or without fires */
  bestConcept: (string | null)[];
  bestF1: number[];
  /** the tokens it fires most on, most frequent first, joined by spaces (for search); "" if never fires */
  topTokens: string[];
}

/** A window of tokens around one token the latent fired on. */
export interface TokenContext {
  /** dataset row of the focus token */
  row: number;
  /** index of the focus token within `tokens` */
  focus: number;
  /** token ids, in order (strings in the cache's vocabulary) */
  tokens: number[];
  /** this latent's activation on each of those tokens (0 where it does not fire) */
  acts: number[];
}

export interface QuantileBand {
  /** e.g. "top 25%": the band of firing tokens by activation rank */
  label: string;
  /** activation range of the band */
  lo: number;
  hi: number;
  /** firing tokens in the band */
  count: number;
  /** a seeded random sample of them */
  examples: TokenContext[];
}

export interface Histogram {
  lo: number;
  hi: number;
  counts: number[];
}

/** Everything about one latent, as stored in the cache. */
export interface LatentRecord {
  latent: number;
  frequency: number;
  meanActivation: number;
  maxActivation: number;
  alpha: number;
  normAuroc: number | null;
  normDetector: boolean;
  /** the best concepts by F1, best first (empty without a concept bank) */
  concepts: { name: string; f1: number }[];
  /** top-activating contexts, highest first */
  top: TokenContext[];
  /** random samples across activation quantiles, highest band first */
  quantiles: QuantileBand[];
  /** histogram of its nonzero activations */
  histogram: Histogram;
  /**
   * ‖x‖ (raw units) against activation for a seeded sample of tokens: firing
   * tokens and, with act 0, non-firing ones, so the plot shows where it fires.
   */
  normScatter: { norm: number[]; act: number[] };
  /** tokens its decoder direction promotes / suppresses through the unembedding, null without a model */
  promoted: { token: string; logit: number }[] | null;
  suppressed: { token: string; logit: number }[] | null;
}

/** Decoder neighbours, computed by the server on request (not cached). */
export interface LatentNeighbours {
  /** nearest latents of the same SAE by decoder cosine, nearest first */
  nearest: { latent: number; cosine: number }[];
  /** nearest latents of the other SAE when two are served */
  nearestOther: { sae: number; latent: number; cosine: number }[] | null;
}

/** GET /api/saes */
export interface SaeListResponse {
  saes: SaeOverview[];
}

/** GET /api/saes/:sae/latents */
export interface LatentTableResponse {
  sae: number;
  table: LatentTable;
}

/** GET /api/saes/:sae/latents/:latent */
export interface LatentResponse extends LatentRecord, LatentNeighbours {
  sae: number;
  /** display strings of the token ids used in the record's contexts */
  vocab: Record<number, string>;
}
