import type { ConceptLabels } from "./concept-labels.js";
import type { ConceptTokens } from "./token-text.js";

/**
 * The "token" group: one concept per frequent token id, "token:<display>".
 * A latent that fires on exactly one token is aligned with nothing else, so
 * frequent ids get their own concept; rare ids would only add noise.
 */
export function labelTokenIdentity(
  tokens: ConceptTokens,
  vocab: readonly string[],
  labels: ConceptLabels,
  minTokenShare: number,
  maxTokenConcepts: number,
): void {
  const n = tokens.ids.length;
  const counts = new Map<number, number>();
  for (const id of tokens.ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  const frequent = [...counts]
    .filter(([, c]) => c >= minTokenShare * n)
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, maxTokenConcepts)
    .map(([id]) => id);

  // Two ids can show the same string (a byte token and a piece); the id then tells them apart.
  const shown = new Map<string, number>();
  for (const id of frequent) {
    const name = tokenConceptName(vocab[id]!);
    shown.set(name, (shown.get(name) ?? 0) + 1);
  }
  const ids = new Map<number, number>();
  for (const id of frequent) {
    const name = tokenConceptName(vocab[id]!);
    ids.set(id, labels.concept("token", shown.get(name)! > 1 ? `${name} #${id}` : name));
  }
  for (let r = 0; r < n; r++) {
    const c = ids.get(tokens.ids[r]!);
    if (c !== undefined) labels.add(c, r);
  }
}

/** "token:" + the display string, control characters escaped ("\n" → "\\n") so names stay on one line. */
export function tokenConceptName(display: string): string {
  let escaped = "";
  for (const c of display) {
    const code = c.charCodeAt(0);
    if (c === "\n") escaped += "\\n";
    else if (c === "\t") escaped += "\\t";
    else if (c === "\r") escaped += "\\r";
    else if (code < 0x20 || code === 0x7f) escaped += `\\x${code.toString(16).padStart(2, "0")}`;
    else escaped += c;
  }
  return `token:${escaped}`;
}
