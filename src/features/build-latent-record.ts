/** One latent's LatentRecord from the data computed once over the cache's tokens. */

import { histogram } from "../evaluation/evaluate.js";
import { Rng } from "../util/rng.js";
import type { FeatureCacheOptions } from "./feature-cache-options.js";
import type { FeatureData } from "./feature-data.js";
import type { Histogram, LatentRecord, QuantileBand } from "./latent-record.js";
import { summary } from "./latent-table.js";
import { normScatter } from "./norm-scatter.js";
import { rankBands } from "./quantile-bands.js";
import { roundSignificant } from "./round-significant.js";
import { sampleIndices } from "./sample.js";
import { tokenContext, type WindowSource } from "./token-window.js";

/** Stream id of the band samples' generator (the scatter uses another). */
const BANDS_STREAM = 1;

export function buildLatentRecord(data: FeatureData, j: number, options: FeatureCacheOptions): LatentRecord {
  const { lists } = data;
  const a = lists.start[j]!;
  const s = summary(data, j);
  const window: WindowSource = {
    codes: data.codes,
    tokens: data.tokens,
    firstRow: data.firstRow,
    before: options.before,
    after: options.after,
  };
  // Position e of the latent's ranking (0 = highest activation) as a context.
  const context = (e: number) => tokenContext(window, lists.row[a + e]!, j);

  const top = [];
  for (let e = 0; e < Math.min(options.top, s.fires); e++) top.push(context(e));

  const rng = new Rng(options.seed, BANDS_STREAM, j);
  const quantiles: QuantileBand[] = rankBands(s.fires, options.bands).map((band) => ({
    label: band.label,
    lo: roundSignificant(lists.value[a + band.to - 1]!),
    hi: roundSignificant(lists.value[a + band.from]!),
    count: band.to - band.from,
    // Ascending picks of a descending ranking: examples come highest first.
    examples: sampleIndices(rng, band.to - band.from, options.perBand).map((i) => context(band.from + i)),
  }));

  let hist: Histogram = { lo: 0, hi: 0, counts: new Array<number>(options.histogramBins).fill(0) };
  if (s.fires > 0) {
    hist = histogram(lists.value.subarray(a, a + s.fires), 0, s.max, options.histogramBins);
    hist.hi = roundSignificant(hist.hi);
  }

  const concepts: { name: string; f1: number }[] = [];
  if (data.concepts) {
    const { alignment, names } = data.concepts;
    const per = alignment.topPerLatent;
    for (let i = j * per; i < (j + 1) * per && alignment.latentTopConcept[i]! >= 0; i++) {
      concepts.push({
        name: names[alignment.latentTopConcept[i]!]!,
        f1: roundSignificant(alignment.latentTopF1[i]!),
      });
    }
  }

  const auroc = data.normAuroc[j]!;
  return {
    latent: j,
    frequency: roundSignificant(s.fires / data.codes.rows),
    meanActivation: roundSignificant(s.mean),
    maxActivation: roundSignificant(s.max),
    alpha: roundSignificant(data.alpha[j]!),
    normAuroc: Number.isNaN(auroc) ? null : roundSignificant(auroc),
    normDetector: data.isNormDetector[j]! !== 0,
    concepts,
    top,
    quantiles,
    histogram: hist,
    normScatter: normScatter(
      data.codes,
      lists,
      data.norms,
      j,
      options.scatterFiring,
      options.scatterSilent,
      options.seed,
    ),
    promoted: tokenLogits(data, j, "promoted"),
    suppressed: tokenLogits(data, j, "suppressed"),
  };
}

function tokenLogits(
  data: FeatureData,
  j: number,
  which: "promoted" | "suppressed",
): { token: string; logit: number }[] | null {
  const l = data.logits;
  if (!l) return null;
  const ids = l[which];
  const logits = which === "promoted" ? l.promotedLogit : l.suppressedLogit;
  const out = [];
  for (let i = j * l.count; i < (j + 1) * l.count; i++) {
    out.push({ token: data.tokenString(ids[i]!), logit: roundSignificant(logits[i]!) });
  }
  return out;
}
