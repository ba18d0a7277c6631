/**
 * Floats in the feature cache are stored to 4 significant digits: the page
 * shows no more, and JSON text of short decimals keeps a 16k-latent cache
 * small (an f32 printed in full takes ~10 characters more).
 */

/** `x` rounded to `digits` significant digits, as the double nearest that decimal (so JSON prints it short). */
export function roundSignificant(x: number, digits = 4): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const shift = digits - 1 - Math.floor(Math.log10(Math.abs(x)));
  // Divide or multiply by an exact power of ten (10^-k is not exact), so the
  // result is the nearest double to n·10^-shift.
  if (shift >= 0) {
    const f = 10 ** shift;
    return Math.round(x * f) / f;
  }
  const f = 10 ** -shift;
  return Math.round(x / f) * f;
}
