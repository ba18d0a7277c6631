/**
 * The first-letter probes of feature absorption (DESIGN §4, after Chanin et
 * al.): for each letter L, a logistic probe on the raw activations predicts
 * "this token's text starts with L" among the held-out tokens that start with
 * a letter. They depend only on the eval set, so they are fitted once per set
 * and shared by every SAE evaluated on it.
 *
 * A probe is fitted on a balanced sample (80%, its F1 on the other 20%), then
 * applied to every held-out token of its letter: absorption is measured on all
 * those it finds, training tokens included, since it judges the SAE, not the
 * probe, and more tokens make the rate steadier.
 */
import { isSpecialToken } from "../concepts/token-text.js";
import { Rng } from "../util/rng.js";
import { balancedSplit } from "./balanced-split.js";
import type { EvalSet } from "./evaluate.js";
import { fitProbe, probeLogit, scoreProbe } from "./logistic-probe.js";
import { oncePerSet } from "./per-set-cache.js";

export interface AbsorptionOptions {
  /** a letter is probed when at least this many held-out tokens start with it */
  minTokens: number;
  /** tokens per class that fit a probe (balanced by subsampling) */
  maxPerClass: number;
  /** share of each class that fits the probe; the rest gives its F1 */
  trainShare: number;
  /** λ of the logistic fit on standardised dimensions, on the summed loss (logistic-probe.ts) */
  penalty: number;
  /** an SAE latent is one of L's latents when its encoder direction has this cosine with the probe (or is the best) */
  encoderCosine: number;
  /** a firing latent can absorb L when its decoder direction has at least this cosine with the probe … */
  decoderCosine: number;
  /** … and it carries at least this share of the reconstruction's projection on the probe */
  contributionShare: number;
  seed: number;
}

export const defaultAbsorptionOptions: AbsorptionOptions = {
  minTokens: 50,
  maxPerClass: 1000,
  trainShare: 0.8,
  penalty: 1,
  encoderCosine: 0.5,
  decoderCosine: 0.3,
  contributionShare: 0.4,
  seed: 0,
};

export interface LetterProbe {
  letter: string;
  /** held-out tokens starting with the letter */
  tokens: number;
  /** the probe's unit direction p̂ in raw activation space [d] */
  direction: Float64Array;
  /** F1 of the probe on its test rows */
  probeF1: number;
  /** the tokens that start with the letter and that the probe finds: absorption is measured on these */
  truePositives: Int32Array;
}

/** The letter a token's text starts with (after leading spaces and "▁"), lower-cased, or null. */
export function firstLetter(text: string): string | null {
  if (isSpecialToken(text)) return null;
  const c = text
    .replace(/^[\s\u2581]+/u, "")
    .charAt(0)
    .toLowerCase();
  return c >= "a" && c <= "z" ? c : null;
}

/** The probes of every letter with enough tokens; empty without token text. */
export function firstLetterProbes(set: EvalSet, options: AbsorptionOptions): LetterProbe[] {
  if (!(Number.isInteger(options.minTokens) && options.minTokens >= 5))
    throw new RangeError(`absorption: minTokens must be an integer ≥ 5, got ${options.minTokens}`);
  if (!(options.penalty > 0)) throw new RangeError(`absorption: penalty must be > 0, got ${options.penalty}`);
  if (!(Number.isInteger(options.maxPerClass) && options.maxPerClass >= 5))
    throw new RangeError(`absorption: maxPerClass must be an integer ≥ 5, got ${options.maxPerClass}`);
  return oncePerSet(set, "first-letter probes", options, () => fitLetterProbes(set, options));
}

function fitLetterProbes(set: EvalSet, o: AbsorptionOptions): LetterProbe[] {
  const text = set.tokenText;
  if (!text) return [];
  if (text.length !== set.rows)
    throw new RangeError(`absorption: ${text.length} token texts for ${set.rows} tokens`);
  const d = set.x.length / set.rows;
  const byLetter = new Map<string, number[]>();
  const lettered: number[] = [];
  for (let t = 0; t < set.rows; t++) {
    const l = firstLetter(text[t]!);
    if (l === null) continue;
    lettered.push(t);
    const list = byLetter.get(l);
    if (list) list.push(t);
    else byLetter.set(l, [t]);
  }
  const probes: LetterProbe[] = [];
  for (const letter of [...byLetter.keys()].sort()) {
    const positives = byLetter.get(letter)!;
    const others = lettered.length - positives.length;
    if (positives.length < o.minTokens || others < o.minTokens) continue;
    const isOn = new Uint8Array(set.rows);
    for (const t of positives) isOn[t] = 1;
    const negatives = lettered.filter((t) => !isOn[t]);
    const rng = new Rng(o.seed, 0x6c657474, letter.charCodeAt(0)); // "lett"
    const split = balancedSplit(positives, negatives, o.maxPerClass, o.trainShare, rng);
    const n = split.tokens.length;
    const x = new Float64Array(n * d);
    for (let i = 0; i < n; i++)
      x.set(set.x.subarray(split.tokens[i]! * d, (split.tokens[i]! + 1) * d), i * d);
    const probe = fitProbe(x, split.labels, split.train, d, o.penalty, { gradientTolerance: 1e-6 });
    const probeF1 = scoreProbe(probe, x, split.labels, split.train, n, d).f1;
    const found = positives.filter((t) => probeLogit(probe, set.x, t, d) > 0);
    let norm = 0;
    for (let c = 0; c < d; c++) norm += probe.weights[c]! ** 2;
    norm = Math.sqrt(norm);
    probes.push({
      letter,
      tokens: positives.length,
      direction: probe.weights.map((w) => (norm > 0 ? w / norm : 0)),
      probeF1,
      truePositives: Int32Array.from(found),
    });
  }
  return probes;
}
