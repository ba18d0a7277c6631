/**
 * GPT-2's byte-level alphabet: `bytes_to_unicode` maps each of the 256 byte
 * values to a printable character (printable Latin-1 bytes map to themselves,
 * the rest to U+0100 onwards), so byte-level BPE vocabularies (GPT-2, NeoX,
 * Llama 3, Qwen) store `Ġ` for a space byte. cosae only needs the inverse.
 */

/** character code → byte value, for the 256 characters of the byte-level alphabet. */
const BYTE_OF_CHAR: ReadonlyMap<number, number> = (() => {
  const map = new Map<number, number>();
  const printable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 256;
  for (let b = 0; b < 256; b++) map.set(printable(b) ? b : next++, b);
  return map;
})();

/**
 * The bytes a byte-level token stands for. As the Hugging Face ByteLevel
 * decoder does, a token with any character outside the alphabet (an added
 * token such as NeoX's runs of spaces) stands for its own UTF-8 text.
 */
export function byteLevelTokenBytes(token: string): Uint8Array {
  const bytes: number[] = [];
  for (const ch of token) {
    const b = BYTE_OF_CHAR.get(ch.codePointAt(0)!);
    if (b === undefined) return Buffer.from(token, "utf8");
    bytes.push(b);
  }
  return Uint8Array.from(bytes);
}
