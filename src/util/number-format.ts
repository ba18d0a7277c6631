/** Numbers as the report shows them; anything missing or not finite is a dash. */

/** How a compare measure is shown (compare-results.ts MeasureInfo). */
export type MeasureFormat = "fixed2" | "fixed3" | "fixed4" | "percent" | "count";

export const DASH = "—";

/** True for null, undefined, NaN and ±∞. */
export function isMissing(v: number | null | undefined): v is null | undefined {
  return v === null || v === undefined || !Number.isFinite(v);
}

/** A typographic minus, and no "−0.00". */
function tidy(s: string): string {
  if (!s.startsWith("-")) return s;
  return /[1-9]/.test(s) ? `\u2212${s.slice(1)}` : s.slice(1);
}

/** Thousands separated by commas in the integer part. */
function group(s: string): string {
  const [int, frac] = s.split(".");
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

export function fixed(v: number | null | undefined, digits: number): string {
  return isMissing(v) ? DASH : tidy(v.toFixed(digits));
}

/** A fraction as a percentage. */
export function percent(v: number | null | undefined, digits = 1): string {
  return isMissing(v) ? DASH : `${tidy((100 * v).toFixed(digits))}%`;
}

/** A count: whole numbers as they are, interpolated ones with one decimal. */
export function count(v: number | null | undefined): string {
  if (isMissing(v)) return DASH;
  return tidy(group(Number.isInteger(v) ? String(v) : v.toFixed(1)));
}

/** With an explicit sign: "+0.0012", "−0.0012". */
export function signed(v: number | null | undefined, digits: number): string {
  if (isMissing(v)) return DASH;
  const s = tidy(v.toFixed(digits));
  return s.startsWith("\u2212") || /^0\.?0*$/.test(s) ? s : `+${s}`;
}

export function formatMeasure(v: number | null | undefined, format: MeasureFormat): string {
  switch (format) {
    case "fixed2":
      return fixed(v, 2);
    case "fixed3":
      return fixed(v, 3);
    case "fixed4":
      return fixed(v, 4);
    case "percent":
      return percent(v);
    case "count":
      return count(v);
  }
}

/** A duration: "12.3 s", "4 min 05 s", "1 h 02 min". */
export function duration(seconds: number | null | undefined): string {
  if (isMissing(seconds)) return DASH;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** A tick label: the shortest decimal that round-trips at ten digits. */
export function tickLabel(v: number): string {
  return tidy(String(Number(v.toPrecision(10))));
}
