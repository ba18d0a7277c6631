/**
 * The few 32-bit words a dispatch's `params` uniform holds: the u32 fields first,
 * then the f32 fields, in the order the kernel's WGSL `struct Params` declares them.
 */
export function uniformWords(u32: readonly number[], f32: readonly number[] = []): Uint32Array {
  const words = new Uint32Array(u32.length + f32.length);
  words.set(u32);
  new Float32Array(words.buffer, u32.length * 4, f32.length).set(f32);
  return words;
}
