/**
 * float16 (IEEE binary16) and bfloat16 <-> float32 conversion. Narrowing rounds
 * to nearest, ties to even, with subnormals, ±Inf and NaN handled; widening is
 * exact. Half values are kept as raw 16-bit patterns in a Uint16Array.
 *
 * Float32 inputs are converted from their bit patterns (through a Uint32Array
 * view), so NaN payloads survive and f16 -> f32 -> f16 is the identity on all
 * 65536 patterns. Plain numbers (and Float64Array) are rounded once, directly,
 * because rounding a double to f32 first and then to f16 can round twice.
 */

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

let f16Table: Uint32Array | undefined;

/** f32 bit pattern of every f16 pattern: widening becomes one table lookup. */
function f16ToF32Table(): Uint32Array {
  if (f16Table === undefined) {
    f16Table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToF32Bits(h);
  }
  return f16Table;
}

function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return (sign | 0x7f800000 | (m << 13)) >>> 0;
  if (e !== 0) return (sign | ((e + 112) << 23) | (m << 13)) >>> 0;
  if (m === 0) return sign >>> 0;
  // Subnormal f16 is a normal f32: shift the leading 1 into the implicit bit.
  let k = 0;
  let mm = m;
  while ((mm & 0x400) === 0) {
    mm <<= 1;
    k++;
  }
  return (sign | ((113 - k) << 23) | ((mm & 0x3ff) << 13)) >>> 0;
}

/** Round-to-nearest-even of an f32 bit pattern to an f16 bit pattern. */
function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const a = x & 0x7fffffff;
  if (a >= 0x7f800000) {
    if (a === 0x7f800000) return sign | 0x7c00;
    // Keep the top payload bits; a payload only in the dropped bits still has to stay NaN.
    const payload = (a >>> 13) & 0x3ff;
    return sign | 0x7c00 | (payload === 0 ? 0x200 : payload);
  }
  if (a >= 0x477ff000) return sign | 0x7c00; // >= 65520, the midpoint above 65504
  if (a >= 0x38800000) {
    // Normal f16: rebias the exponent, drop 13 mantissa bits; a carry may bump the exponent.
    let h = (a - 0x38000000) >>> 13;
    const rem = a & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++;
    return sign | h;
  }
  const e = a >>> 23;
  if (e < 102) return sign; // below 2^-25: rounds to zero
  const mant = (a & 0x7fffff) | 0x800000;
  const s = 126 - e; // 14..24
  let h = mant >>> s;
  const rem = mant & ((1 << s) - 1);
  const half = 1 << (s - 1);
  if (rem > half || (rem === half && (h & 1) === 1)) h++;
  return sign | h;
}

function f32BitsToBf16Bits(x: number): number {
  if ((x & 0x7fffffff) > 0x7f800000) {
    const h = x >>> 16;
    return (h & 0x7f) === 0 ? h | 0x40 : h;
  }
  // Adding 0x7fff plus the kept lsb rounds ties to even; overflow lands on Inf.
  return (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
}

function roundHalfEven(q: number): number {
  const r = Math.floor(q);
  const d = q - r;
  return d > 0.5 || (d === 0.5 && r % 2 === 1) ? r + 1 : r;
}

/** floor(log2(a)) for finite a > 0; log2 alone can be off by one next to powers of two. */
function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return e;
}

function isNegative(x: number): boolean {
  return x < 0 || Object.is(x, -0);
}

/** The f16 bit pattern nearest to `x` (ties to even). NaN becomes the quiet NaN 0x7e00. */
export function numberToF16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = isNegative(x) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24);
  const e = exponentOf(a);
  const m = roundHalfEven(a * 2 ** (10 - e)); // in [1024, 2048]; 2048 carries into the exponent
  return sign | (((e + 15) << 10) + m - 1024);
}

/** The bf16 bit pattern nearest to `x` (ties to even). NaN becomes the quiet NaN 0x7fc0. */
export function numberToBf16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7fc0;
  const sign = isNegative(x) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= (2 - 2 ** -8) * 2 ** 127) return sign | 0x7f80;
  if (a < 2 ** -126) return sign | roundHalfEven(a * 2 ** 133);
  const e = exponentOf(a);
  const m = roundHalfEven(a * 2 ** (7 - e)); // in [128, 256]
  return sign | (((e + 127) << 7) + m - 128);
}

/** The value of an f16 bit pattern (exact). */
export function f16BitsToNumber(h: number): number {
  scratchU32[0] = f16ToF32Table()[h & 0xffff]!;
  return scratchF32[0]!;
}

/** The value of a bf16 bit pattern (exact). */
export function bf16BitsToNumber(h: number): number {
  scratchU32[0] = (h & 0xffff) << 16;
  return scratchF32[0]!;
}

function checkOut(n: number, out: { length: number }, what: string): void {
  if (out.length !== n) throw new RangeError(`${what}: output length ${out.length}, expected ${n}`);
}

/** Widen f16 bit patterns to float32, exactly (NaN payloads kept). */
export function f16ToF32(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  checkOut(src.length, out, "f16ToF32");
  const table = f16ToF32Table();
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) bits[i] = table[src[i]!]!;
  return out;
}

/** Widen bf16 bit patterns to float32, exactly (bf16 is the top half of an f32). */
export function bf16ToF32(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  checkOut(src.length, out, "bf16ToF32");
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16;
  return out;
}

/** Round values to f16 bit patterns, to nearest even. */
export function f32ToF16(
  src: Float32Array | Float64Array | ArrayLike<number>,
  out: Uint16Array = new Uint16Array(src.length),
): Uint16Array {
  checkOut(src.length, out, "f32ToF16");
  if (src instanceof Float32Array) {
    const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
    for (let i = 0; i < bits.length; i++) out[i] = f32BitsToF16Bits(bits[i]!);
  } else {
    for (let i = 0; i < src.length; i++) out[i] = numberToF16Bits(src[i]!);
  }
  return out;
}

/** Round values to bf16 bit patterns, to nearest even. */
export function f32ToBf16(
  src: Float32Array | Float64Array | ArrayLike<number>,
  out: Uint16Array = new Uint16Array(src.length),
): Uint16Array {
  checkOut(src.length, out, "f32ToBf16");
  if (src instanceof Float32Array) {
    const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
    for (let i = 0; i < bits.length; i++) out[i] = f32BitsToBf16Bits(bits[i]!);
  } else {
    for (let i = 0; i < src.length; i++) out[i] = numberToBf16Bits(src[i]!);
  }
  return out;
}
