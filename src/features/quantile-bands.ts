/**
 * Rank-quantile bands of a latent's fires: its firing tokens ordered by
 * activation, highest first, cut into equal shares ("top 25%", "25–50%", …),
 * so the page shows what the latent does at every strength, not only at its peak.
 */

/** Band b of `bands` over n ranked fires: positions [from, to) of the ranking. */
export interface RankBand {
  label: string;
  from: number;
  to: number;
}

/** The non-empty bands, highest first; together they hold every position in [0, n) once. */
export function rankBands(n: number, bands: number): RankBand[] {
  if (!(Number.isInteger(bands) && bands >= 1))
    throw new RangeError(`rankBands: bands must be ≥ 1, got ${bands}`);
  const out: RankBand[] = [];
  for (let b = 0; b < bands; b++) {
    const from = Math.floor((b * n) / bands);
    const to = Math.floor(((b + 1) * n) / bands);
    if (to > from) out.push({ label: bandLabel(b, bands), from, to });
  }
  return out;
}

/** "top 25%" for the first band, "25–50%" after it (percent of fires ranked above the band's edges). */
export function bandLabel(b: number, bands: number): string {
  if (bands === 1) return "all";
  const percent = (i: number) => `${Math.round((100 * i) / bands)}`;
  return b === 0 ? `top ${percent(1)}%` : `${percent(b)}–${percent(b + 1)}%`;
}
