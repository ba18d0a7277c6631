/**
 * Reader of a Hugging Face `tokenizer.json` for Llama-2-style tokenizers:
 * model.type "BPE" with ranked merges and byte_fallback, words marked with
 * "▁" either by the legacy normalizer (Prepend "▁", Replace " " → "▁") or by
 * the Metaspace pre-tokenizer. Added tokens (<s>, </s>, ...) found in the
 * text are matched first. Byte-level BPE (GPT-2, Llama 3) is refused with a
 * clear error.
 */
import { readFile } from "node:fs/promises";
import { mergeSymbols } from "./merge-queue.js";
import { ModelFormatError } from "./model-format-error.js";
import { decodeWith, displayByte, parseByteToken, type Tokenizer } from "./tokenizer.js";

/** SentencePiece's word-boundary marker, U+2581. */
export const METASPACE = "\u2581";

interface WordMarking {
  /** Prepend "▁" to each non-empty segment (legacy normalizer) or to the text start (Metaspace). */
  readonly prepend: "every-segment" | "first" | "always" | "never";
  /** Metaspace does not prepend when the text already starts with "▁". */
  readonly skipIfMarked: boolean;
  /** Metaspace split: true splits into words before each "▁". */
  readonly split: boolean;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function list(x: unknown): unknown[] {
  if (!isRecord(x)) return [];
  if (x["type"] === "Sequence") {
    const items = x["normalizers"] ?? x["pretokenizers"];
    return Array.isArray(items) ? items.flatMap(list) : [];
  }
  return [x];
}

export class HfTokenizer implements Tokenizer {
  readonly description: string;
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  private readonly tokens: string[] = [];
  private readonly idOf = new Map<string, number>();
  /** (left id · vocabSize + right id) → merge rank and merged id. */
  private readonly merges = new Map<number, { id: number; priority: number }>();
  private readonly byteIds: Int32Array | undefined;
  private readonly byteOfToken: Int16Array;
  private readonly special = new Set<number>();
  /** Added tokens matched in raw text, longest first. */
  private readonly addedTokens: { content: string; id: number }[] = [];
  private readonly unkId: number;
  private readonly marking: WordMarking;

  constructor(
    json: unknown,
    source: string,
    ids: { bosId?: number | undefined; eosId?: number | undefined } = {},
  ) {
    this.description = `tokenizer.json ${source}`;
    if (!isRecord(json) || !isRecord(json["model"])) {
      throw new ModelFormatError(`${source}: expected a tokenizer.json object with a "model" field`);
    }
    const model = json["model"];
    if (model["type"] !== "BPE") {
      throw new ModelFormatError(
        `${source}: unsupported tokenizer: model.type ${JSON.stringify(model["type"])}; expected "BPE" ` +
          "(Llama-2 style SentencePiece BPE)",
      );
    }
    const preTokenizers = list(json["pre_tokenizer"]);
    const normalizers = list(json["normalizer"]);
    const kinds = [...preTokenizers, ...normalizers].map((p) => (p as Record<string, unknown>)["type"]);
    if (kinds.includes("ByteLevel")) {
      throw new ModelFormatError(
        `${source}: unsupported tokenizer: byte-level BPE (ByteLevel pre-tokenizer, GPT-2 / Llama 3 style); ` +
          'expected a Llama-2 style BPE with "▁" word markers and byte_fallback',
      );
    }
    this.marking = HfTokenizer.wordMarking(preTokenizers, normalizers, source);

    const vocab = model["vocab"];
    if (!isRecord(vocab)) throw new ModelFormatError(`${source}: model.vocab must be an object {token: id}`);
    let size = 0;
    for (const [token, id] of Object.entries(vocab)) {
      if (typeof id !== "number" || !Number.isInteger(id) || id < 0) {
        throw new ModelFormatError(
          `${source}: model.vocab["${token}"] is ${JSON.stringify(id)}; expected an id`,
        );
      }
      this.tokens[id] = token;
      this.idOf.set(token, id);
      size = Math.max(size, id + 1);
    }
    const added = Array.isArray(json["added_tokens"]) ? json["added_tokens"] : [];
    for (const a of added) {
      if (
        !isRecord(a) ||
        !Number.isSafeInteger(a["id"]) ||
        (a["id"] as number) < 0 ||
        typeof a["content"] !== "string"
      ) {
        throw new ModelFormatError(
          `${source}: added_tokens entry ${JSON.stringify(a)}; expected {id, content}`,
        );
      }
      const id = a["id"] as number;
      this.tokens[id] ??= a["content"];
      if (!this.idOf.has(a["content"])) this.idOf.set(a["content"], id);
      this.addedTokens.push({ content: a["content"], id });
      if (a["special"] === true) this.special.add(id);
      size = Math.max(size, id + 1);
    }
    this.addedTokens.sort((a, b) => b.content.length - a.content.length);
    this.vocabSize = size;
    for (let id = 0; id < size; id++) {
      if (this.tokens[id] === undefined) throw new ModelFormatError(`${source}: no token has id ${id}`);
    }

    const merges = model["merges"];
    if (!Array.isArray(merges)) throw new ModelFormatError(`${source}: model.merges must be an array`);
    merges.forEach((m, rank) => {
      let pair: unknown[];
      if (typeof m === "string") {
        const at = m.indexOf(" ", 1);
        pair = at < 0 ? [m] : [m.slice(0, at), m.slice(at + 1)];
      } else pair = Array.isArray(m) ? m : [m];
      const [a, b] = pair;
      const left = typeof a === "string" ? this.idOf.get(a) : undefined;
      const right = typeof b === "string" ? this.idOf.get(b) : undefined;
      const merged = typeof a === "string" && typeof b === "string" ? this.idOf.get(a + b) : undefined;
      if (pair.length !== 2 || left === undefined || right === undefined || merged === undefined) {
        throw new ModelFormatError(
          `${source}: model.merges[${rank}] ${JSON.stringify(m)}; expected two vocabulary tokens whose ` +
            "concatenation is also in the vocabulary",
        );
      }
      const key = left * size + right;
      if (!this.merges.has(key)) this.merges.set(key, { id: merged, priority: rank });
    });

    this.byteOfToken = new Int16Array(size).fill(-1);
    for (let id = 0; id < size; id++) {
      const b = parseByteToken(this.tokens[id]!);
      if (b >= 0) this.byteOfToken[id] = b;
    }
    if (model["byte_fallback"] === true) {
      const byteIds = new Int32Array(256);
      for (let b = 0; b < 256; b++) {
        const token = `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
        const id = this.idOf.get(token);
        if (id === undefined) {
          throw new ModelFormatError(
            `${source}: model.byte_fallback is true but token "${token}" is missing`,
          );
        }
        byteIds[b] = id;
      }
      this.byteIds = byteIds;
    }
    const unk = model["unk_token"];
    this.unkId = typeof unk === "string" ? (this.idOf.get(unk) ?? -1) : -1;
    const find = (...names: string[]): number => {
      for (const n of names) {
        const id = this.idOf.get(n);
        if (id !== undefined) return id;
      }
      return -1;
    };
    this.bosId = ids.bosId ?? find("<s>", "<|begin_of_text|>");
    this.eosId = ids.eosId ?? find("</s>", "<|end_of_text|>");
    if (ids.bosId !== undefined && (ids.bosId < 0 || ids.bosId >= size)) {
      throw new ModelFormatError(
        `${source}: the model's bos_token_id ${ids.bosId} is not a token of this ${size}-token vocabulary; ` +
          "expected the tokenizer.json the model was saved with",
      );
    }
    if (this.bosId < 0 || this.bosId >= size) {
      throw new ModelFormatError(`${source}: no BOS token (<s>) found; expected one in the vocabulary`);
    }
    if (this.eosId >= size) {
      throw new ModelFormatError(
        `${source}: the model's eos_token_id ${this.eosId} is not a token of this ${size}-token vocabulary; ` +
          "expected the tokenizer.json the model was saved with",
      );
    }
  }

  private static wordMarking(preTokenizers: unknown[], normalizers: unknown[], source: string): WordMarking {
    const meta = preTokenizers.find((p) => isRecord(p) && p["type"] === "Metaspace") as
      | Record<string, unknown>
      | undefined;
    if (meta !== undefined) {
      if (meta["replacement"] !== undefined && meta["replacement"] !== METASPACE) {
        throw new ModelFormatError(
          `${source}: pre_tokenizer Metaspace replacement ${JSON.stringify(meta["replacement"])}; expected "▁"`,
        );
      }
      const scheme = meta["prepend_scheme"] ?? (meta["add_prefix_space"] === false ? "never" : "always");
      if (scheme !== "first" && scheme !== "always" && scheme !== "never") {
        throw new ModelFormatError(
          `${source}: Metaspace prepend_scheme ${JSON.stringify(scheme)} is not supported`,
        );
      }
      return { prepend: scheme, skipIfMarked: true, split: meta["split"] !== false };
    }
    const others = preTokenizers.filter((p) => isRecord(p));
    if (others.length > 0) {
      throw new ModelFormatError(
        `${source}: unsupported tokenizer: pre_tokenizer ${JSON.stringify(others.map((p) => (p as Record<string, unknown>)["type"]))}; ` +
          "expected none or Metaspace (Llama-2 style)",
      );
    }
    let prepend = false;
    let replace = false;
    for (const n of normalizers) {
      const r = n as Record<string, unknown>;
      if (r["type"] === "Prepend" && r["prepend"] === METASPACE) prepend = true;
      else if (
        r["type"] === "Replace" &&
        isRecord(r["pattern"]) &&
        r["pattern"]["String"] === " " &&
        r["content"] === METASPACE
      )
        replace = true;
      else {
        throw new ModelFormatError(
          `${source}: unsupported tokenizer: normalizer ${JSON.stringify(r["type"])}; expected Prepend "▁" and ` +
            'Replace " " → "▁" (Llama-2 style)',
        );
      }
    }
    if (!replace) {
      throw new ModelFormatError(
        `${source}: unsupported tokenizer: no Metaspace pre-tokenizer and no Replace " " → "▁" normalizer; ` +
          "expected a Llama-2 style tokenizer.json",
      );
    }
    return { prepend: prepend ? "every-segment" : "never", skipIfMarked: false, split: false };
  }

  static async read(
    path: string,
    ids: { bosId?: number | undefined; eosId?: number | undefined } = {},
  ): Promise<HfTokenizer> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        throw new ModelFormatError(`${path}: no such file; expected the model's tokenizer.json`);
      }
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new ModelFormatError(
        `${path}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    return new HfTokenizer(json, path, ids);
  }

  encode(text: string, options: { bos?: boolean } = {}): Int32Array {
    const out: number[] = [];
    if (options.bos ?? true) out.push(this.bosId);
    let first = true;
    for (const segment of this.splitAddedTokens(text)) {
      if (typeof segment === "number") out.push(segment);
      else for (const word of this.words(segment, first)) out.push(...this.encodeWord(word));
      first = false;
    }
    return Int32Array.from(out);
  }

  /** The text cut into plain segments and added-token ids. */
  private splitAddedTokens(text: string): (string | number)[] {
    const out: (string | number)[] = [];
    let start = 0;
    let plain = 0;
    while (start < text.length) {
      const hit = this.addedTokens.find((a) => a.content.length > 0 && text.startsWith(a.content, start));
      if (hit === undefined) {
        start++;
        continue;
      }
      if (start > plain) out.push(text.slice(plain, start));
      out.push(hit.id);
      start += hit.content.length;
      plain = start;
    }
    if (plain < text.length) out.push(text.slice(plain));
    return out;
  }

  /** Normalise one plain segment and cut it into the words BPE runs on. */
  private words(segment: string, first: boolean): string[] {
    const m = this.marking;
    let s = segment.replaceAll(" ", METASPACE);
    const prepend =
      m.prepend === "every-segment" || m.prepend === "always" || (m.prepend === "first" && first);
    if (prepend && s.length > 0 && !(m.skipIfMarked && s.startsWith(METASPACE))) s = METASPACE + s;
    if (!m.split) return s.length > 0 ? [s] : [];
    const words: string[] = [];
    let start = 0;
    for (let i = 1; i < s.length; i++) {
      if (s[i] === METASPACE) {
        words.push(s.slice(start, i));
        start = i;
      }
    }
    if (start < s.length) words.push(s.slice(start));
    return words;
  }

  private encodeWord(word: string): number[] {
    const symbols: number[] = [];
    for (const ch of word) {
      const id = this.idOf.get(ch);
      if (id !== undefined && !this.special.has(id)) symbols.push(id);
      else if (this.byteIds !== undefined) {
        for (const b of Buffer.from(ch, "utf8")) symbols.push(this.byteIds[b]!);
      } else if (this.unkId >= 0) {
        if (symbols[symbols.length - 1] !== this.unkId) symbols.push(this.unkId);
      } else {
        throw new ModelFormatError(
          `${this.description}: character ${JSON.stringify(ch)} has no token and no <unk>`,
        );
      }
    }
    return mergeSymbols(symbols, (a, b) => this.merges.get(a * this.vocabSize + b));
  }

  tokenBytes(id: number): Uint8Array {
    this.checkId(id);
    if (this.special.has(id)) return new Uint8Array(0);
    const b = this.byteOfToken[id]!;
    if (b >= 0) return Uint8Array.of(b);
    return Buffer.from(this.tokens[id]!.replaceAll(METASPACE, " "), "utf8");
  }

  tokenString(id: number): string {
    this.checkId(id);
    if (this.special.has(id)) return this.tokens[id]!;
    const b = this.byteOfToken[id]!;
    if (b >= 0) return displayByte(b);
    return this.tokens[id]!.replaceAll(METASPACE, " ");
  }

  decode(ids: ArrayLike<number>): string {
    return decodeWith(this, ids);
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new RangeError(`${this.description}: token id ${id} is outside [0, ${this.vocabSize})`);
    }
  }
}
