import { isCapitalised, isLowerCase, type Word } from "./words.js";

/**
 * Where each word of a segment sits in its sentence. Rule-based and cheap, so
 * the class and sentence groups do not depend on the POS tagger:
 *  - a newline ends a sentence;
 *  - ".", "!", "?" or "…" between two words ends one, unless the next word is
 *    lower-case (`"Hi!" said Tom` is one sentence) or the dot follows a title
 *    or an initial ("Mr. Brown", "J. Smith");
 *  - the text before a segment is unknown (sequences are cut from longer
 *    documents), so its first word starts a sentence only after terminal
 *    punctuation or a newline in the segment, or when it is capitalised.
 *    Words before the first known sentence start have no place (-1).
 */
export interface SentenceLayout {
  /** Per word, its 0-based place in its sentence, or -1 when unknown. */
  readonly place: Int32Array;
  /** Per word, 1 when sentence-final punctuation follows it and ends the sentence. */
  readonly last: Uint8Array;
}

const terminal = /[.!?…]/;
const abbreviations = new Set(["mr", "mrs", "ms", "dr", "st", "prof", "jr", "sr", "mt", "vs", "etc"]);

export function sentenceLayout(text: string, words: readonly Word[]): SentenceLayout {
  const place = new Int32Array(words.length).fill(-1);
  const last = new Uint8Array(words.length);
  let current = -1;
  for (let w = 0; w < words.length; w++) {
    const word = words[w]!;
    const gapStart = w === 0 ? 0 : words[w - 1]!.end;
    const gap = text.slice(gapStart, word.start);
    const starts =
      w === 0
        ? gap.includes("\n") || terminal.test(gap) || isCapitalised(word.text)
        : endsSentence(gap, words[w - 1]!.text, word.text);
    if (starts) {
      current = 0;
      if (w > 0 && terminal.test(gap)) last[w - 1] = 1;
    } else if (current >= 0) current++;
    place[w] = current;
  }
  if (words.length > 0 && terminal.test(text.slice(words[words.length - 1]!.end))) last[words.length - 1] = 1;
  return { place, last };
}

function endsSentence(gap: string, before: string, after: string): boolean {
  if (gap.includes("\n")) return true;
  if (!terminal.test(gap) || isLowerCase(after)) return false;
  const dotOnly = gap.trim() === ".";
  const initial = before.length === 1 && isCapitalised(before) && before !== "I";
  return !(dotOnly && (initial || abbreviations.has(before.toLowerCase())));
}
