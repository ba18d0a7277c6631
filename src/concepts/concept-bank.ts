import { splitList } from "../config/fields.js";
import type { SparseRows } from "../kernels/arrays.js";
import { ConceptLabels } from "./concept-labels.js";
import { labelPosTags } from "./pos-tags.js";
import { labelSentencePlaces, labelTokenPositions } from "./sentence-position.js";
import { sentenceLayout } from "./sentences.js";
import { labelTokenClasses } from "./token-classes.js";
import { labelTokenIdentity } from "./token-identity.js";
import { type ConceptTokens, textSegments, validateConceptTokens } from "./token-text.js";
import { labelWordLists, WordListMatcher } from "./word-concepts.js";
import { wordLists } from "./word-lists.js";
import { findWords } from "./words.js";

export type { ConceptTokens } from "./token-text.js";

/**
 * A bank of binary token concepts built from the text the tokens spell, for
 * concept alignment on real text (DESIGN.md §4). No network, no model: token
 * classes, word lists, compromise POS tags, sentence places, token identity.
 */
export interface ConceptBank {
  /** One per concept: "class:comma", "word:colour", "pos:Verb", "sentence:word-2", "token: the". */
  names: string[];
  /** Per concept, its group: "class", "word", "pos", "sentence" or "token". */
  groups: string[];
  /** Rows = tokens in input order; a row's indices are its concepts, ascending; values are 1. */
  labels: SparseRows;
  /** Number of concepts (= names.length). */
  count: number;
  /** Per concept, how many tokens have it. */
  tokenCounts: Int32Array;
  /** Concepts dropped because they hold on exactly the same tokens as an earlier one. */
  duplicates: { name: string; sameAs: string }[];
}

/** The concept groups built from real text (docs/concepts.md), in the order a bank lists them. */
export const conceptGroups = ["class", "word", "pos", "sentence", "token"] as const;
/** A concept group: `class`, `word`, `pos`, `sentence` or `token`. */
export type ConceptGroup = (typeof conceptGroups)[number];

/** Groups from a comma-separated list (a command-line flag), each known. */
export function parseConceptGroups(list: string): ConceptGroup[] {
  const groups = splitList(list);
  for (const g of groups) {
    if (!(conceptGroups as readonly string[]).includes(g))
      throw new Error(`--concepts: unknown concept group "${g}" (expected ${conceptGroups.join(", ")})`);
  }
  if (groups.length === 0) throw new Error("--concepts: no concept group given");
  return groups as ConceptGroup[];
}

export interface ConceptBankOptions {
  /** Which groups to build (the bank always lists them in `conceptGroups` order). */
  groups: readonly ConceptGroup[];
  /** Drop concepts on fewer tokens than this (concepts on every token are always dropped). */
  minCount: number;
  /** A token id gets a "token:" concept when it is at least this share of the tokens … */
  minTokenShare: number;
  /** … and is among this many most frequent ids. */
  maxTokenConcepts: number;
  /** Drop a concept on exactly the same tokens as one before it (e.g. "token:," and "class:comma"). */
  dropDuplicates: boolean;
}

export const defaultConceptBankOptions: ConceptBankOptions = {
  groups: conceptGroups,
  minCount: 10,
  minTokenShare: 0.002,
  maxTokenConcepts: 256,
  dropDuplicates: true,
};

export function buildConceptBank(
  tokens: ConceptTokens,
  vocab: readonly string[],
  options: Partial<ConceptBankOptions> = {},
): ConceptBank {
  const o = resolveOptions(options);
  validateConceptTokens(tokens, vocab);
  const on = new Set<string>(o.groups);
  const labels = new ConceptLabels(tokens.ids.length);
  const matcher = new WordListMatcher(wordLists);

  for (const segment of textSegments(tokens, vocab)) {
    const words = findWords(segment.text);
    const layout = sentenceLayout(segment.text, words);
    if (on.has("class")) labelTokenClasses(segment, words, layout, labels);
    if (on.has("word")) labelWordLists(segment, words, matcher, labels);
    if (on.has("pos")) labelPosTags(segment, labels);
    if (on.has("sentence")) labelSentencePlaces(segment, words, layout, labels);
  }
  if (on.has("sentence")) labelTokenPositions(tokens, labels);
  if (on.has("token")) labelTokenIdentity(tokens, vocab, labels, o.minTokenShare, o.maxTokenConcepts);

  const done = labels.finish(conceptGroups, o.minCount, o.dropDuplicates);
  return { ...done, count: done.names.length };
}

function resolveOptions(options: Partial<ConceptBankOptions>): ConceptBankOptions {
  const o = { ...defaultConceptBankOptions };
  for (const [key, value] of Object.entries(options)) {
    if (!(key in defaultConceptBankOptions)) throw new RangeError(`concept bank: unknown option ${key}`);
    if (value !== undefined) Object.assign(o, { [key]: value });
  }
  for (const g of o.groups) {
    if (!(conceptGroups as readonly string[]).includes(g)) {
      throw new RangeError(
        `concept bank: unknown group ${JSON.stringify(g)} (known: ${conceptGroups.join(", ")})`,
      );
    }
  }
  if (!Number.isInteger(o.minCount) || o.minCount < 0) {
    throw new RangeError(`concept bank: minCount must be an integer ≥ 0, got ${o.minCount}`);
  }
  if (!(o.minTokenShare >= 0 && o.minTokenShare <= 1)) {
    throw new RangeError(`concept bank: minTokenShare must be in [0, 1], got ${o.minTokenShare}`);
  }
  if (!Number.isInteger(o.maxTokenConcepts) || o.maxTokenConcepts < 0) {
    throw new RangeError(`concept bank: maxTokenConcepts must be an integer ≥ 0, got ${o.maxTokenConcepts}`);
  }
  return o;
}
