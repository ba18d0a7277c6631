/**
 * Feature absorption (DESIGN §4, after Chanin et al.'s first-letter task): on
 * the tokens a letter's raw probe finds, how often do the SAE's latents for
 * that letter stay silent (a false negative), and how often does another
 * firing latent carry the probe direction in their place (absorbed)?
 *
 * Directions, for every score family alike:
 * - A latent's encoder direction is its encoder row w_j. The inner score is
 *   w_j · x_c, the cosine scores read cos(w_j, x_c) (gain, bias and r^α only
 *   rescale it), so in both w_j is the input direction the latent detects; the
 *   cosine with p̂ ignores ‖w_j‖, which the cosine families leave free.
 * - Its decoder direction is d_j (unit rows; normalised here in case an
 *   imported SAE's are not). What it writes along p̂ on token t is
 *   z_tj q_tj (d_j · p̂), q the decoder scale (1 for plain decoding,
 *   r_t^(1−α_j) for equivariant), so that these contributions sum to
 *   (x̂_t − b_dec) · p̂ whatever the decoding.
 */
import type { SparseRows } from "../kernels/arrays.js";
import { latentTerms, scaledCodes } from "../model/forward.js";
import type { Sae } from "../model/sae.js";
import type { EvalSet } from "./evaluate.js";
import { type AbsorptionOptions, firstLetterProbes, type LetterProbe } from "./first-letter-probes.js";

/** Feature absorption for one letter (DESIGN §4). */
export interface LetterAbsorption {
  letter: string;
  /** held-out tokens starting with the letter, and those the probe finds */
  tokens: number;
  truePositives: number;
  /** the probe's F1 on its test rows */
  probeF1: number;
  /** L's latents: encoder cosine with p̂ ≥ the threshold, or the best one alone */
  latents: number;
  bestLatent: number;
  bestCosine: number;
  falseNegatives: number;
  absorbed: number;
  /** absorbed / true positives */
  absorptionRate: number;
  /** false negatives / true positives */
  falseNegativeRate: number;
}

/** First-letter feature absorption of one SAE: per letter, and the means over letters. */
export interface AbsorptionReport {
  letters: LetterAbsorption[];
  /** means over the letters */
  absorptionRate: number;
  falseNegativeRate: number;
}

/**
 * Absorption of one SAE given its inference codes on the set's rows and the
 * per-token norm its decoder scale reads (`reconstruct`'s `norm`); null when
 * the set has no letter to probe (no token text, or too few tokens).
 */
export function featureAbsorption(
  sae: Sae,
  codes: SparseRows,
  norm: Float64Array,
  set: EvalSet,
  options: AbsorptionOptions,
): AbsorptionReport | null {
  const probes = firstLetterProbes(set, options);
  if (probes.length === 0) return null;
  const decoded = scaledCodes(sae, latentTerms(sae), codes, norm);
  const letters = probes.map((p) => letterAbsorption(sae, codes, decoded, p, options));
  const measured = letters.filter((l) => l.truePositives > 0);
  const mean = (f: (l: LetterAbsorption) => number) =>
    measured.length === 0 ? Number.NaN : measured.reduce((s, l) => s + f(l), 0) / measured.length;
  return {
    letters,
    absorptionRate: mean((l) => l.absorptionRate),
    falseNegativeRate: mean((l) => l.falseNegativeRate),
  };
}

/** Per latent, (row_j · p̂) / ‖row_j‖ and row_j · p̂ of [m, d] rows. */
function directionCosines(rows: ArrayLike<number>, m: number, d: number, p: Float64Array) {
  const cosine = new Float64Array(m);
  const dot = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let a = 0;
    let n = 0;
    for (let c = 0; c < d; c++) {
      const w = rows[j * d + c]!;
      a += w * p[c]!;
      n += w * w;
    }
    dot[j] = a;
    cosine[j] = n > 0 ? a / Math.sqrt(n) : 0;
  }
  return { cosine, dot };
}

function letterAbsorption(
  sae: Sae,
  codes: SparseRows,
  decoded: SparseRows,
  probe: LetterProbe,
  o: AbsorptionOptions,
): LetterAbsorption {
  const { d, m } = sae.config;
  const encoder = directionCosines(sae.params.encoder, m, d, probe.direction).cosine;
  const decoder = directionCosines(sae.params.decoder, m, d, probe.direction);
  let best = 0;
  for (let j = 1; j < m; j++) if (encoder[j]! > encoder[best]!) best = j;
  const isL = new Uint8Array(m);
  let latents = 0;
  for (let j = 0; j < m; j++) {
    if (j === best || encoder[j]! >= o.encoderCosine) {
      isL[j] = 1;
      latents++;
    }
  }
  let falseNegatives = 0;
  let absorbed = 0;
  for (const t of probe.truePositives) {
    let fires = false;
    let total = 0; // (x̂_t − b_dec) · p̂
    for (let e = codes.rowStart[t]!; e < codes.rowStart[t + 1]!; e++) {
      const j = codes.index[e]!;
      if (isL[j] && codes.value[e]! > 0) fires = true;
      total += decoded.value[e]! * decoder.dot[j]!;
    }
    if (fires) continue;
    falseNegatives++;
    // Absorbed: another firing latent points along p̂ and writes a large enough part of the
    // reconstruction's projection. With total ≤ 0 the reconstruction does not carry p̂ at all,
    // so no latent carries it in L's place.
    if (total <= 0) continue;
    for (let e = codes.rowStart[t]!; e < codes.rowStart[t + 1]!; e++) {
      const j = codes.index[e]!;
      if (
        codes.value[e]! > 0 &&
        decoder.cosine[j]! >= o.decoderCosine &&
        decoded.value[e]! * decoder.dot[j]! >= o.contributionShare * total
      ) {
        absorbed++;
        break;
      }
    }
  }
  const tp = probe.truePositives.length;
  return {
    letter: probe.letter,
    tokens: probe.tokens,
    truePositives: tp,
    probeF1: probe.probeF1,
    latents,
    bestLatent: best,
    bestCosine: encoder[best]!,
    falseNegatives,
    absorbed,
    absorptionRate: tp > 0 ? absorbed / tp : Number.NaN,
    falseNegativeRate: tp > 0 ? falseNegatives / tp : Number.NaN,
  };
}
