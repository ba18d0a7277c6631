/**
 * A dispatch's uniform parameters as one word array: the u32 values, then the f32
 * values, in the order the WGSL `Params` struct declares them (u32 fields first).
 */
export function uniformWords(u32: readonly number[], f32: readonly number[] = []): Uint32Array {
  const words = new Uint32Array(u32.length + f32.length);
  words.set(u32);
  new Float32Array(words.buffer, u32.length * 4, f32.length).set(f32);
  return words;
}
