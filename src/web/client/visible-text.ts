/**
 * A token's display string with its whitespace made visible: a space is "·",
 * a newline "↵", a tab "⇥", and an empty token "∅". Returned as pieces so the
 * marks can be styled apart from the text.
 */
export interface TextPiece {
  text: string;
  whitespace: boolean;
}

const marks: Record<string, string> = { " ": "·", "\n": "↵", "\t": "⇥", "\r": "␍" };

export function visibleText(token: string): TextPiece[] {
  if (token.length === 0) return [{ text: "∅", whitespace: true }];
  const pieces: TextPiece[] = [];
  for (const ch of token) {
    const mark = marks[ch];
    const text = mark ?? ch;
    const whitespace = mark !== undefined;
    const last = pieces.at(-1);
    if (last && last.whitespace === whitespace) last.text += text;
    else pieces.push({ text, whitespace });
  }
  return pieces;
}

/** The same as one plain string (for tooltips and search). */
export function visibleString(token: string): string {
  return visibleText(token)
    .map((p) => p.text)
    .join("");
}
