/** What the rest of cosae needs from a tokenizer, whatever file it came from. */
export interface Tokenizer {
  /** Where it was read from and what kind it is, for messages. */
  readonly description: string;
  readonly vocabSize: number;
  /** Beginning-of-sequence id, prepended by `encode(text, { bos: true })`. */
  readonly bosId: number;
  /** End-of-sequence id (-1 if the vocabulary has none). */
  readonly eosId: number;
  /** Token ids of `text`, with BOS first when `bos` is true (the default). */
  encode(text: string, options?: { bos?: boolean }): Int32Array;
  /** The bytes a token stands for (a byte-fallback token is its one byte; special tokens are empty). */
  tokenBytes(id: number): Uint8Array;
  /**
   * A token as display text: word-boundary markers shown as spaces, byte tokens
   * decoded (a lone byte of a multi-byte character stays `<0xXX>`), special
   * tokens as their name (`<s>`).
   */
  tokenString(id: number): string;
  /** The text of a sequence of ids (bytes joined, then decoded as UTF-8; special tokens dropped). */
  decode(ids: ArrayLike<number>): string;
}

/** Decoding byte by byte for display: printable single bytes become text, others stay `<0xXX>`. */
export function displayByte(byte: number): string {
  if (byte === 0x0a) return "\n";
  if (byte === 0x09) return "\t";
  if (byte >= 0x20 && byte < 0x7f) return String.fromCharCode(byte);
  return `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`;
}

/**
 * A token's bytes for display: complete UTF-8 characters as text, each byte
 * of an incomplete or invalid sequence as `displayByte` shows it.
 */
export function displayBytes(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const length =
      b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (length > 1 && i + length <= bytes.length) {
      try {
        out += UTF8_STRICT.decode(bytes.subarray(i, i + length));
        i += length;
        continue;
      } catch {
        // not a valid sequence: fall through to one byte
      }
    }
    out += displayByte(b);
    i++;
  }
  return out;
}

const UTF8_STRICT = new TextDecoder("utf-8", { fatal: true });

/** `<0xAB>` → 0xAB, otherwise -1. */
export function parseByteToken(piece: string): number {
  const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
  return m === null ? -1 : Number.parseInt(m[1]!, 16);
}

/** Concatenate the bytes of `ids` and decode them as UTF-8 (invalid sequences become U+FFFD). */
export function decodeWith(tokenizer: Pick<Tokenizer, "tokenBytes">, ids: ArrayLike<number>): string {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < ids.length; i++) {
    const b = tokenizer.tokenBytes(ids[i]!);
    parts.push(b);
    total += b.length;
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new TextDecoder().decode(all);
}
