import type { ConceptLabels } from "./concept-labels.js";
import type { SentenceLayout } from "./sentences.js";
import type { ConceptTokens, TextSegment } from "./token-text.js";
import { forEachRowIn } from "./token-text.js";
import type { Word } from "./words.js";

/**
 * The "sentence" group: where a token sits. By word place in its sentence
 * (the first word is "class:sentence-start", so it is not repeated here) and
 * whether its word ends the sentence; and by the token's position in the
 * sequence, in buckets that grow with distance from the start.
 */

/** Word places (0-based, from `SentenceLayout.place`) → concept; a place past the last bucket gets the last one. */
const placeBuckets: readonly { from: number; name: string }[] = [
  { from: 1, name: "sentence:word-2" },
  { from: 2, name: "sentence:word-3-5" },
  { from: 5, name: "sentence:word-6+" },
];

/** Sequence positions → concept (position 0, the BOS token, gets none). Zero-padded so names sort in order. */
export const positionBuckets: readonly { from: number; to: number; name: string }[] = [
  { from: 1, to: 7, name: "position:001-007" },
  { from: 8, to: 31, name: "position:008-031" },
  { from: 32, to: 127, name: "position:032-127" },
  { from: 128, to: Number.POSITIVE_INFINITY, name: "position:128+" },
];

export function labelSentencePlaces(
  segment: TextSegment,
  words: readonly Word[],
  layout: SentenceLayout,
  labels: ConceptLabels,
): void {
  const ids = placeBuckets.map((b) => labels.concept("sentence", b.name));
  const last = labels.concept("sentence", "sentence:last-word");
  words.forEach((word, w) => {
    const place = layout.place[w]!;
    let bucket = -1;
    for (let b = 0; b < placeBuckets.length; b++) if (place >= placeBuckets[b]!.from) bucket = b;
    const ends = layout.last[w] === 1;
    if (bucket < 0 && !ends) return;
    forEachRowIn(segment, word.start, word.end, (r) => {
      if (bucket >= 0) labels.add(ids[bucket]!, r);
      if (ends) labels.add(last, r);
    });
  });
}

export function labelTokenPositions(tokens: ConceptTokens, labels: ConceptLabels): void {
  const ids = positionBuckets.map((b) => labels.concept("sentence", b.name));
  for (let r = 0; r < tokens.position.length; r++) {
    const p = tokens.position[r]!;
    const b = positionBuckets.findIndex((x) => p >= x.from && p <= x.to);
    if (b >= 0) labels.add(ids[b]!, r);
  }
}
