/**
 * The llama2.c tokenizer (`tokenizer.bin`, `tok512.bin`): a SentencePiece BPE
 * vocabulary exported as int32 max_token_length, then per token float32
 * score, int32 byte length, bytes. Encoding follows llama2.c's `encode`
 * exactly: prepend one space (when the text is non-empty), map each UTF-8
 * character to its token or, failing that, each of its bytes to `<0xXX>`
 * (id byte + 3), then repeatedly merge the adjacent pair whose concatenation
 * is the highest-scoring token (the leftmost such pair on ties).
 */
import { readFile } from "node:fs/promises";
import { mergeSymbols } from "./merge-queue.js";
import { ModelFormatError } from "./model-format-error.js";
import { decodeWith, displayByte, parseByteToken, type Tokenizer } from "./tokenizer.js";

/** llama2.c hard-codes these: 0 <unk>, 1 BOS, 2 EOS, then 256 byte tokens. */
const UNK_ID = 0;
const BOS_ID = 1;
const EOS_ID = 2;
const FIRST_BYTE_ID = 3;

export class SentencePieceTokenizer implements Tokenizer {
  readonly description: string;
  readonly vocabSize: number;
  readonly bosId = BOS_ID;
  readonly eosId = EOS_ID;
  /** Each token's bytes as a latin1 string (one char per byte), so lookups are byte-exact. */
  private readonly pieces: string[];
  private readonly scores: Float32Array;
  private readonly idOf = new Map<string, number>();
  /** byte value → token id (its `<0xXX>` token). */
  private readonly byteIds = new Int32Array(256);
  /** token id → byte value for byte tokens, else -1. */
  private readonly byteOfToken: Int16Array;
  private readonly spaceId: number;

  constructor(pieces: readonly Uint8Array[], scores: Float32Array, source: string) {
    this.description = `llama2.c tokenizer ${source}`;
    this.vocabSize = pieces.length;
    this.scores = scores;
    this.pieces = pieces.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString("latin1"));
    this.byteOfToken = new Int16Array(pieces.length).fill(-1);
    this.pieces.forEach((piece, id) => {
      // On duplicates keep the lowest id, as a stable choice.
      if (!this.idOf.has(piece)) this.idOf.set(piece, id);
    });
    if (pieces.length < FIRST_BYTE_ID + 256) {
      throw new ModelFormatError(
        `${source}: ${pieces.length} tokens; expected at least ${FIRST_BYTE_ID + 256} ` +
          "(<unk>, BOS, EOS and the 256 byte tokens)",
      );
    }
    for (let b = 0; b < 256; b++) {
      const id = this.idOf.get(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`) ?? FIRST_BYTE_ID + b;
      this.byteIds[b] = id;
      this.byteOfToken[id] = b;
    }
    const space = this.idOf.get(" ");
    if (space === undefined) {
      throw new ModelFormatError(`${source}: no token for " " (the dummy prefix llama2.c prepends)`);
    }
    this.spaceId = space;
  }

  /** Parse a llama2.c tokenizer file held in memory. */
  static decode(bytes: Uint8Array, source: string): SentencePieceTokenizer {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 4) {
      throw new ModelFormatError(
        `${source}: file is ${bytes.length} bytes; expected int32 max_token_length first`,
      );
    }
    const maxLength = view.getInt32(0, true);
    if (maxLength <= 0 || maxLength > 1 << 16) {
      throw new ModelFormatError(
        `${source}: max_token_length (bytes 0..4) is ${maxLength}; expected a positive integer — ` +
          "is this a llama2.c tokenizer file?",
      );
    }
    const pieces: Uint8Array[] = [];
    const scores: number[] = [];
    let at = 4;
    while (at < bytes.length) {
      const id = pieces.length;
      if (at + 8 > bytes.length) {
        throw new ModelFormatError(
          `${source}: token ${id} at byte ${at}: file ends inside its (float32 score, int32 length) record`,
        );
      }
      const score = view.getFloat32(at, true);
      const length = view.getInt32(at + 4, true);
      if (!Number.isFinite(score) || length < 0 || length > maxLength || at + 8 + length > bytes.length) {
        throw new ModelFormatError(
          `${source}: token ${id} at byte ${at}: score ${score}, length ${length}; expected a finite score and ` +
            `0 <= length <= max_token_length ${maxLength} within the ${bytes.length}-byte file` +
            (id < 3 ? " — is this a llama2.c tokenizer file?" : ""),
        );
      }
      pieces.push(bytes.slice(at + 8, at + 8 + length));
      scores.push(score);
      at += 8 + length;
    }
    return new SentencePieceTokenizer(pieces, Float32Array.from(scores), source);
  }

  static async read(path: string): Promise<SentencePieceTokenizer> {
    const bytes = await readFile(path);
    return SentencePieceTokenizer.decode(
      new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      path,
    );
  }

  /** The score of a token (higher merges first). */
  score(id: number): number {
    return this.scores[id]!;
  }

  /** A token's bytes, exactly as stored in the file. */
  rawPiece(id: number): Uint8Array {
    return Buffer.from(this.pieces[id]!, "latin1");
  }

  encode(text: string, options: { bos?: boolean } = {}): Int32Array {
    const symbols: number[] = [];
    if (text.length > 0) {
      symbols.push(this.spaceId);
      const utf8 = Buffer.from(text, "utf8").toString("latin1");
      // UTF-8 characters: a lead byte and its continuation bytes (10xxxxxx).
      let start = 0;
      while (start < utf8.length) {
        let end = start + 1;
        while (end < utf8.length && end - start < 4 && (utf8.charCodeAt(end) & 0xc0) === 0x80) end++;
        const ch = utf8.slice(start, end);
        const id = this.idOf.get(ch);
        if (id !== undefined) symbols.push(id);
        else for (let i = start; i < end; i++) symbols.push(this.byteIds[utf8.charCodeAt(i)]!);
        start = end;
      }
    }
    const merged = mergeSymbols(symbols, (a, b) => {
      const id = this.idOf.get(this.pieces[a]! + this.pieces[b]!);
      return id === undefined ? undefined : { id, priority: -this.scores[id]! };
    });
    if (options.bos ?? true) merged.unshift(this.bosId);
    return Int32Array.from(merged);
  }

  private isSpecial(id: number): boolean {
    return id === UNK_ID || id === BOS_ID || id === EOS_ID;
  }

  tokenBytes(id: number): Uint8Array {
    this.checkId(id);
    if (this.isSpecial(id)) return new Uint8Array(0);
    const byte = this.byteOfToken[id]!;
    if (byte >= 0) return Uint8Array.of(byte);
    return this.rawPiece(id);
  }

  tokenString(id: number): string {
    this.checkId(id);
    if (this.isSpecial(id)) return ["<unk>", "<s>", "</s>"][id]!;
    const byte = this.byteOfToken[id]!;
    if (byte >= 0) return displayByte(byte);
    const piece = this.pieces[id]!;
    // A byte-token-looking piece that is not one of the 256 (should not happen) displays as stored.
    return parseByteToken(piece) >= 0 ? piece : new TextDecoder().decode(this.rawPiece(id));
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
