import nlp from "compromise";
import type { ConceptLabels } from "./concept-labels.js";
import { forEachRowIn, type TextSegment } from "./token-text.js";

/**
 * Part-of-speech terms from compromise (rule-based, pure JS, no model to
 * download). Its tags come with their parents ("PastTense" terms are also
 * "Verb"), so one term can turn on several concepts.
 */

/** The compromise tags that become "pos:<Tag>" concepts. */
export const posTags: readonly string[] = [
  // nouns
  "Noun",
  "Singular",
  "Plural",
  "ProperNoun",
  "Person",
  "FirstName",
  "Place",
  "Actor", // people by role: "mom", "boy", "teacher"
  "Pronoun",
  "Possessive",
  // verbs
  "Verb",
  "PastTense",
  "PresentTense",
  "Infinitive",
  "Gerund",
  "Copula",
  "Modal",
  "Auxiliary",
  "Negative",
  // modifiers and function words
  "Adjective",
  "Comparative",
  "Superlative",
  "Adverb",
  "Preposition",
  "Determiner",
  "Conjunction",
  "QuestionWord",
  "Expression", // interjections: "oh", "wow", "hello"
  // numbers
  "Value",
  "Cardinal",
  "Ordinal",
];

/** A tagged term: characters `start ≤ c < end` of the text given to `tagTerms`. */
export interface TaggedTerm {
  readonly start: number;
  readonly end: number;
  readonly tags: ReadonlySet<string>;
}

/**
 * Terms of `text` with their tags. Character spans are rebuilt from each
 * term's leading whitespace/punctuation, text and trailing part (as
 * compromise's own offsets are) and checked against the text; a term found
 * elsewhere is searched forward from the last one, and one not found at all is
 * skipped. Contractions give an empty term ("didn't" → "didn't" + "" tagged
 * Negative, "I'm" → "I'm" + "" tagged Copula): it takes the span of the term
 * before it, so the whole contraction carries both parts' tags.
 */
export function tagTerms(text: string): TaggedTerm[] {
  const terms: TaggedTerm[] = [];
  if (!/\S/.test(text)) return terms;
  let elapsed = 0;
  let cursor = 0;
  for (const sentence of nlp(text).document) {
    for (const term of sentence) {
      const expected = elapsed + term.pre.length;
      elapsed = expected + term.text.length + term.post.length;
      const tags = term.tags ?? new Set<string>();
      if (term.text.length === 0) {
        const before = terms[terms.length - 1];
        if (before !== undefined) terms.push({ start: before.start, end: before.end, tags });
        continue;
      }
      const start = text.startsWith(term.text, expected) ? expected : text.indexOf(term.text, cursor);
      if (start < 0) continue;
      cursor = start + term.text.length;
      terms.push({ start, end: cursor, tags });
    }
  }
  return terms;
}

/** The "pos" group: every row overlapping a term gets "pos:<Tag>" for each of its tags in `posTags`. */
export function labelPosTags(segment: TextSegment, labels: ConceptLabels): void {
  const ids = posTags.map((tag) => labels.concept("pos", `pos:${tag}`));
  for (const term of tagTerms(segment.text)) {
    const on = posTags.flatMap((tag, i) => (term.tags.has(tag) ? [ids[i]!] : []));
    if (on.length === 0) continue;
    forEachRowIn(segment, term.start, term.end, (r) => {
      for (const id of on) labels.add(id, r);
    });
  }
}
