import { readFileSync } from "node:fs";
import { withPathContextSync } from "../util/system-error.js";

/** The line that separates documents in TinyStories-style corpora. */
export const defaultDocumentSeparator = "<|endoftext|>";

/**
 * The documents of a UTF-8 text file, split at lines equal to `separator`
 * (surrounding whitespace trimmed, empty documents dropped). A file without
 * the separator is one document.
 */
export function readDocuments(
  path: string,
  separator = defaultDocumentSeparator,
  /** how errors name the file: the option that gave it, e.g. "--text" */
  role = "the text corpus",
): string[] {
  const bytes = withPathContextSync(role, path, () => {
    try {
      return readFileSync(path);
    } catch (err) {
      // Node reads at most 2 GiB at once and says so without naming the file.
      if ((err as { code?: unknown }).code !== "ERR_FS_FILE_TOO_LARGE") throw err;
      throw new Error(
        `${role}: ${path} is larger than the 2 GiB one read can hold; split it into several corpus files`,
      );
    }
  });
  return splitDocuments(decodeUtf8(bytes, path, role), separator);
}

export function splitDocuments(text: string, separator = defaultDocumentSeparator): string[] {
  const documents: string[] = [];
  let current: string[] = [];
  const flush = () => {
    const doc = current.join("\n").trim();
    if (doc.length > 0) documents.push(doc);
    current = [];
  };
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === separator) flush();
    else current.push(line);
  }
  flush();
  return documents;
}

/** Strict UTF-8: a corpus with invalid bytes is an error naming the first bad byte's offset. */
function decodeUtf8(bytes: Buffer, path: string, role: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new Error(
      `${role}: ${path} is not valid UTF-8${at >= 0 ? ` (first invalid byte at offset ${at})` : ""}; expected a UTF-8 text corpus`,
    );
  }
}

/** Offset of the first malformed sequence (lead or continuation bytes); -1 if only subtler faults (surrogates, overlongs) remain. */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    const extra =
      c < 0x80 ? 0 : c >= 0xc2 && c < 0xe0 ? 1 : c >= 0xe0 && c < 0xf0 ? 2 : c >= 0xf0 && c < 0xf5 ? 3 : -1;
    if (extra < 0) return i;
    for (let j = 1; j <= extra; j++) if (i + j >= b.length || (b[i + j]! & 0xc0) !== 0x80) return i;
    i += extra + 1;
  }
  return -1;
}

/** A token sequence ready for the model: `index` counts sequences in corpus order. */
export interface TokenSequence {
  index: number;
  ids: Int32Array;
}

/**
 * Token sequences of at most `contextLength` tokens, in corpus order: each
 * document is tokenised with BOS, and a longer one is cut into pieces, every
 * piece starting with BOS again so the model sees a valid sequence start.
 */
export function* tokenSequences(
  documents: Iterable<string>,
  encode: (text: string) => Int32Array,
  bos: number,
  contextLength: number,
): Generator<TokenSequence> {
  if (!Number.isInteger(contextLength) || contextLength < 2) {
    throw new Error(`contextLength must be an integer ≥ 2, got ${contextLength}`);
  }
  let index = 0;
  for (const doc of documents) {
    const ids = encode(doc);
    const body = ids[0] === bos ? ids.subarray(1) : ids;
    const step = contextLength - 1;
    for (let start = 0; start < body.length; start += step) {
      const piece = body.subarray(start, start + step);
      const seq = new Int32Array(piece.length + 1);
      seq[0] = bos;
      seq.set(piece, 1);
      yield { index: index++, ids: seq };
    }
  }
}
