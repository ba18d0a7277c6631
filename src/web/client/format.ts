/** Number formats shared by the list and the views. */

/** A share as a percentage with enough digits for rare latents (0.0123%). */
export function percent(x: number): string {
  if (x === 0) return "0%";
  const p = 100 * x;
  return p >= 10 ? `${p.toFixed(1)}%` : p >= 0.1 ? `${p.toFixed(2)}%` : `${p.toPrecision(2)}%`;
}

/** A measurement with three significant digits, or "–" when missing. */
export function figure(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(digits - 1) : Number(x.toPrecision(digits)).toString();
}

/** A value in [0, 1] with two decimals (F1, AUROC, cosine). */
export function fixed2(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(2);
}
