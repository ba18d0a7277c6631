import type { ConceptLabels } from "./concept-labels.js";
import type { SentenceLayout } from "./sentences.js";
import { forEachRowIn, type TextSegment, tokenText } from "./token-text.js";
import { isCapitalised, type Word } from "./words.js";

/**
 * The "class" group: what kind of token this is. Punctuation kinds, newline
 * and digits look at the token's own characters; the word-shaped classes
 * (capitalised, word start, continuation, sentence start) at the word the
 * token belongs to; "inside-quotes" at the characters around it.
 */

/** A class decided by the token's own text (special/byte tokens are blank here). */
export interface TokenClass {
  readonly name: string;
  readonly test: (text: string) => boolean;
}

const anyOf =
  (chars: string) =>
  (text: string): boolean => {
    for (const c of text) if (chars.includes(c)) return true;
    return false;
  };

export const tokenClasses: readonly TokenClass[] = [
  { name: "class:period", test: anyOf(".…") },
  { name: "class:comma", test: anyOf(",") },
  { name: "class:question-mark", test: anyOf("?") },
  { name: "class:exclamation", test: anyOf("!") },
  { name: "class:quote-mark", test: anyOf('"“”«»') },
  { name: "class:apostrophe", test: anyOf("'’‘") },
  { name: "class:colon-semicolon", test: anyOf(":;") },
  { name: "class:dash", test: anyOf("-‐‑‒–—―") },
  { name: "class:parenthesis", test: anyOf("()[]{}") },
  { name: "class:newline", test: anyOf("\n\r") },
  { name: "class:digit", test: (text) => /[0-9]/.test(text) },
];

export function labelTokenClasses(
  segment: TextSegment,
  words: readonly Word[],
  layout: SentenceLayout,
  labels: ConceptLabels,
): void {
  const group = "class";
  const ids = tokenClasses.map((c) => labels.concept(group, c.name));
  for (let r = segment.firstRow; r < segment.endRow; r++) {
    const text = tokenText(segment, r);
    tokenClasses.forEach((c, i) => {
      if (c.test(text)) labels.add(ids[i]!, r);
    });
  }

  const capitalised = labels.concept(group, "class:capitalised");
  const wordStart = labels.concept(group, "class:word-start");
  const continuation = labels.concept(group, "class:word-continuation");
  const sentenceStart = labels.concept(group, "class:sentence-start");
  words.forEach((word, w) => {
    // The row holding the word's first character starts it; later rows continue it.
    const first = segment.charRow[word.start]!;
    labels.add(wordStart, first);
    forEachRowIn(segment, word.start, word.end, (r) => {
      if (r !== first) labels.add(continuation, r);
      if (isCapitalised(word.text)) labels.add(capitalised, r);
      if (layout.place[w] === 0) labels.add(sentenceStart, r);
    });
  });

  const inside = labels.concept(group, "class:inside-quotes");
  const quoted = quotedCharacters(segment.text);
  for (let r = segment.firstRow; r < segment.endRow; r++) {
    const i = r - segment.firstRow;
    for (let c = segment.tokenStart[i]!; c < segment.tokenStart[i + 1]!; c++) {
      if (quoted[c] === 1) {
        labels.add(inside, r);
        break;
      }
    }
  }
}

/**
 * 1 for characters strictly between an opening and a closing double quote.
 * A straight quote toggles; curly ones open (“) and close (”). A newline
 * closes any open quote: a paragraph-long quote reopens on the next line, and
 * an unmatched quote must not mark the rest of the text. The text before a
 * segment is unknown, so every segment starts outside quotes.
 */
export function quotedCharacters(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  let open = false;
  for (let c = 0; c < text.length; c++) {
    const ch = text[c];
    if (ch === '"') open = !open;
    else if (ch === "“") open = true;
    else if (ch === "”") open = false;
    else if (ch === "\n") open = false;
    else if (open) out[c] = 1;
  }
  return out;
}
