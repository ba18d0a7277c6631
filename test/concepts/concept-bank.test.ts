import assert from "node:assert/strict";
import { test } from "node:test";
import {
  buildConceptBank,
  type ConceptBank,
  type ConceptBankOptions,
  type ConceptTokens,
  conceptGroups,
} from "../../src/concepts/concept-bank.js";

// A small vocabulary in display form: word-boundary markers shown as a leading space.
const vocab = [
  "<s>", //  0
  " Once", //  1
  " upon", //  2
  " a", //  3
  " time", //  4
  ",", //  5
  " Lily", //  6
  " saw", //  7
  " red", //  8
  " dog", //  9
  ".", // 10
  ' "', // 11
  "I", // 12
  " am", // 13
  " hap", // 14
  "py", // 15
  '!"', // 16
  " she", // 17
  " said", // 18
  "\n", // 19
  " The", // 20
  " cat", // 21
  " ran", // 22
  "<0xE2>", // 23
  " Tom", // 24
  " a", // 25: shows like id 3
];

/** One sequence, positions 1… (BOS dropped). */
function oneSequence(ids: readonly number[], sequence = 0): ConceptTokens {
  return {
    ids: Int32Array.from(ids),
    sequence: new Int32Array(ids.length).fill(sequence),
    position: Int32Array.from(ids, (_, i) => i + 1),
  };
}

function joined(...parts: ConceptTokens[]): ConceptTokens {
  const cat = (k: keyof ConceptTokens) => Int32Array.from(parts.flatMap((p) => [...p[k]]));
  return { ids: cat("ids"), sequence: cat("sequence"), position: cat("position") };
}

/** The rows concept `name` holds on ([] when the bank has no such concept). */
function rowsOf(bank: ConceptBank, name: string): number[] {
  const c = bank.names.indexOf(name);
  const rows: number[] = [];
  if (c < 0) return rows;
  for (let r = 0; r < bank.labels.rows; r++) {
    for (let i = bank.labels.rowStart[r]!; i < bank.labels.rowStart[r + 1]!; i++) {
      if (bank.labels.index[i] === c) rows.push(r);
    }
  }
  return rows;
}

// Everything kept, so small hand-made cases show every label.
const all: Partial<ConceptBankOptions> = { minCount: 1, dropDuplicates: false };

//  row: 0     1     2  3     4 5     6    7  8    9   10 11  12  13  14   15  16  17   18   19
// " Once upon a time, Lily saw a red dog. "I am happy!" she said."
const story = oneSequence([1, 2, 3, 4, 5, 6, 7, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 10]);

test("token classes on a short story", () => {
  const bank = buildConceptBank(story, vocab, { ...all, groups: ["class"] });
  assert.deepEqual(rowsOf(bank, "class:comma"), [4]);
  assert.deepEqual(rowsOf(bank, "class:period"), [10, 19]);
  assert.deepEqual(rowsOf(bank, "class:exclamation"), [16]);
  assert.deepEqual(rowsOf(bank, "class:quote-mark"), [11, 16]);
  assert.deepEqual(rowsOf(bank, "class:capitalised"), [0, 5, 12]);
  // Inside the quotes: "I am happy!" — the quote marks themselves are not, but `!"` holds the "!".
  assert.deepEqual(rowsOf(bank, "class:inside-quotes"), [12, 13, 14, 15, 16]);
  // A lower-case word after `!"` continues the sentence.
  assert.deepEqual(rowsOf(bank, "class:sentence-start"), [0, 12]);
  assert.deepEqual(rowsOf(bank, "class:word-start"), [0, 1, 2, 3, 5, 6, 7, 8, 9, 12, 13, 14, 17, 18]);
  assert.deepEqual(rowsOf(bank, "class:word-continuation"), [15]);
  assert.deepEqual(rowsOf(bank, "class:digit"), []);
  assert.ok(bank.groups.every((g) => g === "class"));
});

test("a word split into pieces labels every piece", () => {
  const bank = buildConceptBank(story, vocab, { ...all, groups: ["word", "pos"] });
  for (const name of ["word:emotion", "pos:Adjective"]) {
    assert.ok(rowsOf(bank, name).includes(14), `${name} on " hap"`);
    assert.ok(rowsOf(bank, name).includes(15), `${name} on "py"`);
  }
  assert.deepEqual(rowsOf(bank, "word:emotion"), [14, 15]);
  assert.deepEqual(rowsOf(bank, "word:name"), [5]);
  assert.deepEqual(rowsOf(bank, "word:colour"), [8]);
  assert.deepEqual(rowsOf(bank, "word:animal"), [9]);
  assert.deepEqual(rowsOf(bank, "word:time"), [3]);
  assert.deepEqual(rowsOf(bank, "word:pronoun-subject"), [12, 17]);
  assert.ok(rowsOf(bank, "pos:Verb").includes(6), "saw is a verb");
  assert.ok(rowsOf(bank, "pos:PastTense").includes(18), "said is past tense");
  assert.ok(rowsOf(bank, "pos:Determiner").includes(2));
  assert.ok(rowsOf(bank, "pos:Noun").includes(9));
  assert.deepEqual(rowsOf(bank, "pos:Noun").includes(4), false, "a comma is no noun");
});

test("sentence places and token positions", () => {
  const bank = buildConceptBank(story, vocab, { ...all, groups: ["sentence"] });
  assert.deepEqual(rowsOf(bank, "sentence:word-2"), [1, 13]);
  assert.deepEqual(rowsOf(bank, "sentence:word-3-5"), [2, 3, 5, 14, 15, 17, 18]);
  assert.deepEqual(rowsOf(bank, "sentence:word-6+"), [6, 7, 8, 9]);
  assert.deepEqual(rowsOf(bank, "sentence:last-word"), [9, 18]);
  // Positions 1…20: rows 0–6 are positions 1–7, rows 7–19 positions 8–20.
  assert.deepEqual(rowsOf(bank, "position:001-007"), [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(rowsOf(bank, "position:008-031"), [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
});

test("the sequence column splits the text", () => {
  // Sequence 4 ends inside an open quote on " hap"; sequence 5 starts with "py" then `!"`.
  const tokens = joined(oneSequence([6, 7, 11, 12, 13, 14], 4), oneSequence([15, 16, 17, 18, 10], 5));
  const bank = buildConceptBank(tokens, vocab, { ...all, groups: ["class", "word", "sentence"] });
  // "hap" + "py" are two words, neither of them "happy".
  assert.deepEqual(rowsOf(bank, "word:emotion"), []);
  assert.ok(rowsOf(bank, "class:word-start").includes(6), '"py" starts a word of its own');
  // The quote opened in sequence 4 does not carry over; the `"` of `!"` opens a new one that runs to the end.
  assert.deepEqual(rowsOf(bank, "class:inside-quotes"), [3, 4, 5, 8, 9, 10]);
  // Sequence 5 starts lower-case: the text before it is unknown, so its words have no sentence place…
  assert.deepEqual(
    rowsOf(bank, "sentence:word-2").filter((r) => r >= 6),
    [],
  );
  // …but its last word still ends a sentence.
  assert.deepEqual(rowsOf(bank, "sentence:last-word"), [9]);
  // Positions restart with each sequence, so "position:001-007" is on every token, and dropped.
  assert.equal(bank.names.includes("position:001-007"), false);
});

test("a gap in positions breaks the text too", () => {
  // " hap" "py" at positions 1, 2, then "py" at position 5: the characters before it are unknown.
  const tokens: ConceptTokens = {
    ids: Int32Array.of(14, 15, 15),
    sequence: Int32Array.of(0, 0, 0),
    position: Int32Array.of(1, 2, 5),
  };
  const bank = buildConceptBank(tokens, vocab, { ...all, groups: ["class", "word"] });
  assert.deepEqual(rowsOf(bank, "word:emotion"), [0, 1]);
  assert.deepEqual(rowsOf(bank, "class:word-start"), [0, 2]);
  assert.deepEqual(rowsOf(bank, "class:word-continuation"), [1]);
});

test("special and byte tokens spell no word", () => {
  //                                      0   1   2   3   4
  const bank = buildConceptBank(oneSequence([0, 24, 23, 22, 10]), vocab, {
    ...all,
    groups: ["class", "word"],
  });
  assert.deepEqual(rowsOf(bank, "class:word-start"), [1, 3]);
  assert.deepEqual(rowsOf(bank, "class:digit"), [], '"<0xE2>" holds no digit');
  assert.deepEqual(rowsOf(bank, "word:name"), [1]);
  assert.deepEqual(rowsOf(bank, "class:capitalised"), [1]);
});

test("token identity concepts, shared display strings and filtering", () => {
  // " the cat ran" ×3 pattern: " a" (ids 3 and 25) 4 times each, " cat" 3 times, " ran" twice, "." once.
  const tokens = oneSequence([3, 21, 25, 21, 3, 22, 25, 21, 3, 22, 25, 3, 25, 10]);
  const bank = buildConceptBank(tokens, vocab, { ...all, groups: ["token"], minTokenShare: 0.1 });
  // Share 0.1 of 14 tokens → at least 1.4, so "." (once) has no concept.
  assert.deepEqual(bank.names, ["token: a #25", "token: a #3", "token: cat", "token: ran"]);
  assert.deepEqual([...bank.tokenCounts], [4, 4, 3, 2]);
  assert.deepEqual(rowsOf(bank, "token: a #3"), [0, 4, 8, 11]);
  assert.deepEqual(bank.groups, ["token", "token", "token", "token"]);

  const top2 = buildConceptBank(tokens, vocab, { ...all, groups: ["token"], maxTokenConcepts: 2 });
  assert.deepEqual(top2.names, ["token: a #25", "token: a #3"]);

  const common = buildConceptBank(tokens, vocab, { groups: ["token"], minCount: 3, minTokenShare: 0 });
  assert.deepEqual(common.names, ["token: a #25", "token: a #3", "token: cat"]);
});

test("concepts on every token and duplicates are dropped", () => {
  const dogs = oneSequence([9, 9, 9, 9]);
  const bank = buildConceptBank(dogs, vocab, { minCount: 1, groups: ["class", "word", "token"] });
  // Every token is a word start, an animal and " dog": nothing tells tokens apart.
  assert.equal(bank.count, 0);

  const tokens = oneSequence([9, 5, 9, 5, 9, 10]);
  const dedup = buildConceptBank(tokens, vocab, { minCount: 1, groups: ["class", "token"] });
  assert.ok(dedup.names.includes("class:comma"));
  assert.equal(dedup.names.includes("token:,"), false);
  assert.ok(dedup.duplicates.some((d) => d.name === "token:," && d.sameAs === "class:comma"));
  const kept = buildConceptBank(tokens, vocab, {
    minCount: 1,
    groups: ["class", "token"],
    dropDuplicates: false,
  });
  assert.deepEqual(rowsOf(kept, "token:,"), [1, 3]);
  assert.deepEqual(kept.duplicates, []);
});

test("the label rows are well formed and ordered by group, then name", () => {
  const tokens = joined(story, oneSequence([19, 20, 21, 22, 10, 19, 24, 7, 3, 9, 10], 1));
  const bank = buildConceptBank(tokens, vocab, { minCount: 1, minTokenShare: 0.05 });
  const { rows, rowStart, index, value } = bank.labels;
  assert.equal(rows, tokens.ids.length);
  assert.equal(bank.count, bank.names.length);
  assert.equal(bank.groups.length, bank.count);
  const counts = new Int32Array(bank.count);
  for (let r = 0; r < rows; r++) {
    assert.ok(rowStart[r + 1]! >= rowStart[r]!);
    for (let i = rowStart[r]!; i < rowStart[r + 1]!; i++) {
      if (i > rowStart[r]!) assert.ok(index[i]! > index[i - 1]!, "indices ascend within a row");
      assert.equal(value[i], 1);
      counts[index[i]!]!++;
    }
  }
  assert.deepEqual([...counts], [...bank.tokenCounts]);
  const rank = (g: string) => (conceptGroups as readonly string[]).indexOf(g);
  for (let c = 1; c < bank.count; c++) {
    const before = rank(bank.groups[c - 1]!);
    const here = rank(bank.groups[c]!);
    assert.ok(before < here || (before === here && bank.names[c - 1]! < bank.names[c]!), bank.names[c]);
  }
  for (const g of conceptGroups) assert.ok(bank.groups.includes(g), `group ${g} present`);
  assert.ok(bank.names.every((n, c) => n.startsWith(`${bank.groups[c]}:`) || n.startsWith("position:")));
  // The same input gives the same bank.
  assert.deepEqual(buildConceptBank(tokens, vocab, { minCount: 1, minTokenShare: 0.05 }), bank);
});

test("an empty input gives an empty bank", () => {
  const bank = buildConceptBank(oneSequence([]), vocab);
  assert.equal(bank.count, 0);
  assert.equal(bank.labels.rows, 0);
  assert.deepEqual([...bank.labels.rowStart], [0]);
});

test("bad input is named", () => {
  assert.throws(() => buildConceptBank(oneSequence([1, 2, 99]), vocab), /row 2 has token id 99.*\[0, 26\)/);
  assert.throws(() => buildConceptBank(oneSequence([1, -1]), vocab), /row 1 has token id -1/);
  const short: ConceptTokens = { ...oneSequence([1, 2, 3]), position: Int32Array.of(1, 2) };
  assert.throws(() => buildConceptBank(short, vocab), /ids has 3 rows but sequence has 3 and position 2/);
  const apart = joined(oneSequence([1, 2], 0), oneSequence([3], 1), oneSequence([4], 0));
  assert.throws(() => buildConceptBank(apart, vocab), /sequence 0 are not contiguous.*row 3/);
  const backwards: ConceptTokens = { ...oneSequence([1, 2, 3]), position: Int32Array.of(1, 3, 2) };
  assert.throws(() => buildConceptBank(backwards, vocab), /positions of sequence 0 do not ascend at row 2/);
  const groups = ["class", "words"] as unknown as ConceptBankOptions["groups"];
  assert.throws(() => buildConceptBank(story, vocab, { groups }), /unknown group "words"/);
  assert.throws(() => buildConceptBank(story, vocab, { minCount: -1 }), /minCount/);
  assert.throws(() => buildConceptBank(story, vocab, { minTokenShare: 2 }), /minTokenShare/);
  const typo = { minCont: 3 } as unknown as Partial<ConceptBankOptions>;
  assert.throws(() => buildConceptBank(story, vocab, typo), /unknown option minCont/);
});
