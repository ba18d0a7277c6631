/**
 * Token rows → the text they spell, with each token's exact character span.
 * Every concept is first found on text (a word, a sentence, a tagged term) and
 * then attached to the tokens whose spans overlap it, so this is the one place
 * where rows and characters meet.
 */

/** Held-out rows of an activation dataset, in dataset order. */
export interface ConceptTokens {
  /** Token id per row. */
  ids: Int32Array;
  /** Sequence index per row; the rows of one sequence are contiguous. */
  sequence: Int32Array;
  /** Position in the sequence, ascending within a sequence (0 = BOS, usually dropped). */
  position: Int32Array;
}

/**
 * A run of rows that spell one unbroken piece of text: the rows of one
 * sequence with consecutive positions. A gap in positions starts a new
 * segment, since the text between the two rows is unknown.
 */
export interface TextSegment {
  /** Rows `firstRow ≤ r < endRow`. */
  readonly firstRow: number;
  readonly endRow: number;
  /** The rows' display strings joined; special and byte tokens blanked to spaces. */
  readonly text: string;
  /** Row `firstRow + i` spans characters `tokenStart[i] ≤ c < tokenStart[i + 1]` of `text`. */
  readonly tokenStart: Int32Array;
  /** The row (absolute) that spells each character of `text`. */
  readonly charRow: Int32Array;
}

/**
 * Special tokens (`<s>`, `</s>`, `<unk>`, `<|endoftext|>`) and lone bytes
 * (`<0xE2>`) as display strings show. They spell no word, so they are blanked.
 */
export function isSpecialToken(display: string): boolean {
  return display.length > 2 && /^<[^<>\s]+>$/.test(display);
}

/** Checks the columns against each other and the vocabulary; throws naming the first fault. */
export function validateConceptTokens(tokens: ConceptTokens, vocab: readonly string[]): void {
  const n = tokens.ids.length;
  if (tokens.sequence.length !== n || tokens.position.length !== n) {
    throw new RangeError(
      `concept tokens: ids has ${n} rows but sequence has ${tokens.sequence.length} and position ${tokens.position.length}`,
    );
  }
  for (let r = 0; r < n; r++) {
    const id = tokens.ids[r]!;
    if (id < 0 || id >= vocab.length) {
      throw new RangeError(
        `concept tokens: row ${r} has token id ${id}, outside the vocabulary [0, ${vocab.length})`,
      );
    }
    if (typeof vocab[id] !== "string") {
      throw new TypeError(`concept tokens: vocab[${id}] (row ${r}) is not a string`);
    }
  }
  // A sequence must not come back after another one started: rows of one sequence are contiguous.
  const finished = new Set<number>();
  for (let r = 1; r < n; r++) {
    const s = tokens.sequence[r]!;
    const previous = tokens.sequence[r - 1]!;
    if (s !== previous) {
      finished.add(previous);
      if (finished.has(s)) {
        throw new RangeError(
          `concept tokens: rows of sequence ${s} are not contiguous (it resumes at row ${r})`,
        );
      }
    } else if (tokens.position[r]! <= tokens.position[r - 1]!) {
      throw new RangeError(
        `concept tokens: positions of sequence ${s} do not ascend at row ${r} (${tokens.position[r - 1]} then ${tokens.position[r]})`,
      );
    }
  }
}

/** The segments of already validated rows, in row order. */
export function textSegments(tokens: ConceptTokens, vocab: readonly string[]): TextSegment[] {
  const n = tokens.ids.length;
  const segments: TextSegment[] = [];
  let first = 0;
  for (let r = 1; r <= n; r++) {
    const breaks =
      r === n ||
      tokens.sequence[r] !== tokens.sequence[r - 1] ||
      tokens.position[r] !== tokens.position[r - 1]! + 1;
    if (!breaks) continue;
    segments.push(segmentOf(tokens.ids, vocab, first, r));
    first = r;
  }
  return segments;
}

function segmentOf(ids: Int32Array, vocab: readonly string[], firstRow: number, endRow: number): TextSegment {
  const parts: string[] = [];
  const tokenStart = new Int32Array(endRow - firstRow + 1);
  for (let r = firstRow; r < endRow; r++) {
    const display = vocab[ids[r]!]!;
    const part = isSpecialToken(display) ? " ".repeat(display.length) : display;
    parts.push(part);
    tokenStart[r - firstRow + 1] = tokenStart[r - firstRow]! + part.length;
  }
  const text = parts.join("");
  const charRow = new Int32Array(text.length);
  for (let i = 0; i < parts.length; i++) charRow.fill(firstRow + i, tokenStart[i]!, tokenStart[i + 1]!);
  return { firstRow, endRow, text, tokenStart, charRow };
}

/** The segment's text spelled by row `r`. */
export function tokenText(segment: TextSegment, r: number): string {
  const i = r - segment.firstRow;
  return segment.text.slice(segment.tokenStart[i]!, segment.tokenStart[i + 1]!);
}

/**
 * Calls `visit(row)` for every row overlapping characters `start ≤ c < end`.
 * Spans are contiguous, so those rows are one range (an empty token inside the
 * range counts as part of it).
 */
export function forEachRowIn(
  segment: TextSegment,
  start: number,
  end: number,
  visit: (row: number) => void,
): void {
  if (end <= start) return;
  const last = segment.charRow[end - 1]!;
  for (let r = segment.charRow[start]!; r <= last; r++) visit(r);
}
