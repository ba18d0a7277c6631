import assert from "node:assert/strict";
import { test } from "node:test";
import { wordLists } from "../../src/concepts/word-lists.js";

// Closed classes are as long as the language makes them; names are the one long list.
const closedClasses = new Set([
  "pronoun-subject",
  "pronoun-object",
  "pronoun-possessive",
  "pronoun-reflexive",
]);

test("word lists are lower-case single words, without repeats, of a useful size", () => {
  const names = new Set<string>();
  for (const list of wordLists) {
    assert.ok(!names.has(list.name), `list ${list.name} defined twice`);
    names.add(list.name);
    assert.equal(new Set(list.words).size, list.words.length, `${list.name} repeats a word`);
    for (const w of list.words) assert.match(w, /^[a-z][a-z']*$/, `${list.name}: ${w}`);
    if (!closedClasses.has(list.name) && list.name !== "name") {
      assert.ok(
        list.words.length >= 15 && list.words.length <= 150,
        `${list.name}: ${list.words.length} words`,
      );
    }
  }
  const people = wordLists.find((l) => l.name === "name")!;
  assert.ok(people.words.length >= 150, `${people.words.length} names`);
  for (const n of [
    "lily",
    "tom",
    "timmy",
    "sue",
    "max",
    "ben",
    "mia",
    "anna",
    "sam",
    "lucy",
    "spot",
    "kitty",
  ]) {
    assert.ok(people.words.includes(n), n);
  }
});
