import type { ConceptLabels } from "./concept-labels.js";
import { forEachRowIn, type TextSegment } from "./token-text.js";
import type { WordList } from "./word-lists.js";
import { isCapitalised, type Word } from "./words.js";

/**
 * Which word lists a word of running text belongs to. The word is lower-cased
 * (curly apostrophes made straight) and tried as is, then without what follows
 * its first apostrophe ("Lily's" → "lily", "she's" → "she"), then — for lists
 * of nouns — as a regular plural ("bunnies" → "bunny", "wolves" → "wolf").
 * Results are cached per word: running text repeats its words a lot.
 */
export class WordListMatcher {
  private readonly exact = new Map<string, number[]>();
  private readonly plural = new Map<string, number[]>();
  private readonly cache = new Map<string, readonly number[]>();

  constructor(readonly lists: readonly WordList[]) {
    lists.forEach((list, i) => {
      for (const w of list.words) {
        push(this.exact, w, i);
        if (list.plurals === true) push(this.plural, w, i);
      }
    });
  }

  /** Indices into `lists` of the lists holding `word`, ascending. */
  match(word: string): readonly number[] {
    let hit = this.cache.get(word);
    if (hit === undefined) {
      hit = this.lookUp(word);
      this.cache.set(word, hit);
    }
    return hit;
  }

  private lookUp(word: string): readonly number[] {
    const lower = word.toLowerCase().replaceAll("’", "'");
    const apostrophe = lower.indexOf("'");
    const base = apostrophe > 0 ? lower.slice(0, apostrophe) : lower;
    const found = new Set<number>();
    for (const key of new Set([lower, base])) {
      for (const i of this.exact.get(key) ?? []) found.add(i);
      for (const stem of singulars(key)) for (const i of this.plural.get(stem) ?? []) found.add(i);
    }
    this.lists.forEach((list, i) => {
      if (list.suffixes?.some((s) => lower.endsWith(s.replaceAll("’", "'"))) === true) found.add(i);
    });
    const capital = isCapitalised(word);
    return [...found].filter((i) => capital || this.lists[i]!.capitalised !== true).sort((a, b) => a - b);
  }
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else if (!list.includes(value)) list.push(value);
}

/** Candidate singulars of a regular English plural. */
function singulars(word: string): string[] {
  const out: string[] = [];
  if (word.length < 3 || !word.endsWith("s")) return out;
  if (word.endsWith("ies")) out.push(`${word.slice(0, -3)}y`);
  if (word.endsWith("ves")) out.push(`${word.slice(0, -3)}f`);
  if (word.endsWith("es")) out.push(word.slice(0, -2));
  if (!word.endsWith("ss")) out.push(word.slice(0, -1));
  return out;
}

/** The "word" group: every row overlapping a word gets "word:<list>" for each list holding the word. */
export function labelWordLists(
  segment: TextSegment,
  words: readonly Word[],
  matcher: WordListMatcher,
  labels: ConceptLabels,
): void {
  const ids = matcher.lists.map((list) => labels.concept("word", `word:${list.name}`));
  for (const word of words) {
    const hits = matcher.match(word.text);
    if (hits.length === 0) continue;
    forEachRowIn(segment, word.start, word.end, (r) => {
      for (const i of hits) labels.add(ids[i]!, r);
    });
  }
}
