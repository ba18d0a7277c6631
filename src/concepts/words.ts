/**
 * Words of a text segment: what word lists are matched against and what
 * sentence positions count. A word is a run of letters and digits, keeping an
 * inner apostrophe ("Lily's", "didn't" are one word) and inner "." or "," between
 * digits ("3.5", "1,000"). Hyphens split words ("happy-go-lucky" is three).
 */
export interface Word {
  /** Characters `start ≤ c < end` of the segment text. */
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

const wordPattern = /[\p{L}\p{M}\p{N}]+(?:(?:['’](?=\p{L})|[.,](?=\p{N}))[\p{L}\p{M}\p{N}]+)*/gu;

export function findWords(text: string): Word[] {
  const words: Word[] = [];
  for (const m of text.matchAll(wordPattern)) {
    words.push({ start: m.index, end: m.index + m[0].length, text: m[0] });
  }
  return words;
}

/** True when the word starts with an upper-case letter ("Lily", "I", "The"). */
export function isCapitalised(word: string): boolean {
  return /^\p{Lu}/u.test(word);
}

/** True when the word starts with a lower-case letter. */
export function isLowerCase(word: string): boolean {
  return /^\p{Ll}/u.test(word);
}
