import assert from "node:assert/strict";
import { test } from "node:test";
import { tagTerms } from "../../src/concepts/pos-tags.js";
import { sentenceLayout } from "../../src/concepts/sentences.js";
import { quotedCharacters } from "../../src/concepts/token-classes.js";
import { tokenConceptName } from "../../src/concepts/token-identity.js";
import { isSpecialToken } from "../../src/concepts/token-text.js";
import { WordListMatcher } from "../../src/concepts/word-concepts.js";
import { wordLists } from "../../src/concepts/word-lists.js";
import { findWords } from "../../src/concepts/words.js";

test("words keep inner apostrophes and number punctuation, and split at hyphens", () => {
  const words = findWords("Lily's dog didn't eat 1,000 cakes—or 3.5; happy-go-lucky ’tis");
  assert.deepEqual(
    words.map((w) => w.text),
    ["Lily's", "dog", "didn't", "eat", "1,000", "cakes", "or", "3.5", "happy", "go", "lucky", "tis"],
  );
  assert.deepEqual([words[0]!.start, words[0]!.end], [0, 6]);
});

test("sentence places", () => {
  const place = (text: string) => {
    const words = findWords(text);
    const layout = sentenceLayout(text, words);
    return words.map((w, i) => `${w.text}:${layout.place[i]}${layout.last[i] === 1 ? "." : ""}`).join(" ");
  };
  assert.equal(place("Tom ran. He fell!"), "Tom:0 ran:1. He:0 fell:1.");
  assert.equal(
    place('"Hi!" said Tom. Mr. Brown and J. Smith came.'),
    "Hi:0 said:1 Tom:2. Mr:0 Brown:1 and:2 J:3 Smith:4 came:5.",
  );
  // The text before a segment is unknown: a lower-case start has no place until a sentence starts.
  assert.equal(place("and ran home. The end"), "and:-1 ran:-1 home:-1. The:0 end:1");
  // A newline ends a sentence even without punctuation (a title), but its last word is not "last".
  assert.equal(place("The Cat\nthe dog sat."), "The:0 Cat:1 the:0 dog:1 sat:2.");
  assert.equal(place(". then it"), "then:0 it:1");
});

test("quoted characters", () => {
  const mark = (text: string) => [...quotedCharacters(text)].join("");
  assert.equal(mark('a "bc" d'), "00011000");
  assert.equal(mark("“x” y"), "01000");
  // An unmatched quote stops at the newline.
  assert.equal(mark('"ab\ncd'), "011000");
});

test("word lists match case-insensitively, through possessives and plurals", () => {
  const m = new WordListMatcher(wordLists);
  const lists = (word: string) => m.match(word).map((i) => wordLists[i]!.name);
  assert.deepEqual(lists("Lily's"), ["name"]);
  assert.deepEqual(lists("lily"), [], "names need a capital");
  assert.deepEqual(lists("RED"), ["colour"]);
  assert.deepEqual(lists("bunnies"), ["animal"]);
  assert.deepEqual(lists("wolves"), ["animal"]);
  assert.deepEqual(lists("Mommy"), ["family"]);
  assert.deepEqual(lists("her"), ["pronoun-object", "pronoun-possessive"]);
  assert.deepEqual(lists("she's"), ["pronoun-subject"]);
  assert.deepEqual(lists("didn’t"), ["negation"]);
  assert.deepEqual(lists("his"), ["pronoun-possessive"], "no plural of hi");
  assert.deepEqual(lists("happier"), ["emotion"]);
});

test("POS terms map back to the text, contractions included", () => {
  const text = ' "I didn\'t go," Tom said.';
  const terms = tagTerms(text);
  const shown = terms.map(
    (t) => `${text.slice(t.start, t.end)}:${[...t.tags].includes("Negative") ? "neg" : ""}`,
  );
  assert.deepEqual(shown, ["I:", "didn't:", "didn't:neg", "go:", "Tom:", "said:"]);
  const tom = terms.find((t) => text.slice(t.start, t.end) === "Tom")!;
  assert.ok(tom.tags.has("Person"));
  assert.deepEqual(tagTerms("  \n "), []);
});

test("special tokens and token concept names", () => {
  for (const s of ["<s>", "</s>", "<unk>", "<0xE2>", "<|endoftext|>"]) assert.ok(isSpecialToken(s), s);
  for (const s of ["<", ">", "<>", " <b", "a<b>"]) assert.equal(isSpecialToken(s), false, s);
  assert.equal(tokenConceptName(" the"), "token: the");
  assert.equal(tokenConceptName("\n"), "token:\\n");
  assert.equal(tokenConceptName("\u0001x"), "token:\\x01x");
});
