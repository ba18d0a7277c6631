/**
 * The embedded synthetic "normalised representation" dataset (DESIGN.md §5):
 * sparse positive combinations of known unit directions, rescaled by a nuisance
 * norm ρ drawn independently of content, plus a few massive tokens and noise.
 * The ground truth (features, active sets, ρ) comes back with every batch.
 */
import type { SparseRows } from "../kernels/arrays.js";
import { Rng } from "../util/rng.js";
import { type SyntheticConfig, validateSyntheticConfig } from "./synthetic-config.js";

export type { SyntheticConfig } from "./synthetic-config.js";
export { defaultSyntheticConfig, validateSyntheticConfig } from "./synthetic-config.js";

export type SyntheticSplit = "train" | "eval";

export interface SyntheticBatch {
  /** Tokens, [size, d] row-major. */
  readonly x: Float32Array;
  /** Per token the ground-truth features on (ascending index) and their magnitudes (Float32Array). */
  readonly active: SparseRows;
  /** Nuisance norm of each token (for massiveDirection tokens: the norm of the content part). */
  readonly rho: Float32Array;
  /** 1 for massive tokens. */
  readonly massive: Uint8Array;
}

// Stream ids: each purpose gets its own generator so that changing one option
// (say, noise) leaves every other draw unchanged.
const STREAM_FEATURES = 0x0f_ea70;
const STREAM_AXIS = 0x0a_0515;
const STREAM_BATCH = 0x0b_a7c4;
const SPLIT_ID: Record<SyntheticSplit, number> = { train: 1, eval: 2 };
const PART_ACTIVE = 1;
const PART_MAGNITUDE = 2;
const PART_NORM = 3;
const PART_NOISE = 4;

/**
 * Power-law activation probabilities p_i ∝ (i+1)^-exponent with Σ p_i = meanActive,
 * each capped at 1. Weights decrease, so the capped ones are a prefix: raise the
 * prefix until the scaled remainder fits under 1.
 */
export function powerLawFrequencies(features: number, meanActive: number, exponent: number): Float64Array {
  const w = new Float64Array(features);
  for (let i = 0; i < features; i++) w[i] = (i + 1) ** -exponent;
  const suffix = new Float64Array(features + 1);
  for (let i = features - 1; i >= 0; i--) suffix[i] = suffix[i + 1]! + w[i]!;
  const p = new Float64Array(features);
  let capped = 0;
  let scale = 0;
  for (; capped < features; capped++) {
    scale = (meanActive - capped) / suffix[capped]!;
    if (scale * w[capped]! <= 1) break;
  }
  for (let i = 0; i < features; i++) p[i] = i < capped ? 1 : Math.min(1, scale * w[i]!);
  return p;
}

/** E‖z‖ for z ~ N(0, I_d): c_1 = √(2/π), c_{k+1} = k / c_k (from Γ's recurrence, no lgamma needed). */
export function chiMean(d: number): number {
  let c = Math.sqrt(2 / Math.PI);
  for (let k = 1; k < d; k++) c = k / c;
  return c;
}

// Ziggurat normal sampler (Marsaglia & Tsang 2000, 128 layers). Rng.normal()
// costs four 32-bit draws plus log/sqrt/cos; noise needs d normals per token, so
// here one 32-bit draw usually suffices. The layer index (low 7 bits) and the
// value (high 25 bits, signed) use disjoint bits, avoiding the correlation
// Doornik (2005) found in the original.
const ZIG_R = 3.442619855899;
const ZIG_SCALE = 16777216; // 2^24: |hz| < 2^24
const zigK = new Int32Array(128);
const zigW = new Float64Array(128);
const zigF = new Float64Array(128);
{
  const v = 9.91256303526217e-3;
  let dn = ZIG_R;
  let tn = dn;
  const q = v / Math.exp(-0.5 * dn * dn);
  zigK[0] = Math.floor((dn / q) * ZIG_SCALE);
  zigK[1] = 0;
  zigW[0] = q / ZIG_SCALE;
  zigW[127] = dn / ZIG_SCALE;
  zigF[0] = 1;
  zigF[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(v / dn + Math.exp(-0.5 * dn * dn)));
    zigK[i + 1] = Math.floor((dn / tn) * ZIG_SCALE);
    tn = dn;
    zigF[i] = Math.exp(-0.5 * dn * dn);
    zigW[i] = dn / ZIG_SCALE;
  }
}

/** Uniform in (0, 1], safe for log. */
function openUniform(rng: Rng): number {
  return 1 - rng.uniform();
}

/** The rare path of the ziggurat: wedges and the tail. */
function zigSlow(rng: Rng, hz: number, iz: number): number {
  for (;;) {
    const x = hz * zigW[iz]!;
    if (iz === 0) {
      let t: number;
      let y: number;
      do {
        t = -Math.log(openUniform(rng)) / ZIG_R;
        y = -Math.log(openUniform(rng));
      } while (y + y < t * t);
      return hz > 0 ? ZIG_R + t : -ZIG_R - t;
    }
    if (zigF[iz]! + rng.uniform() * (zigF[iz - 1]! - zigF[iz]!) < Math.exp(-0.5 * x * x)) return x;
    const u = rng.nextUint32();
    iz = u & 127;
    hz = (u | 0) >> 7;
    if (Math.abs(hz) < zigK[iz]!) return hz * zigW[iz]!;
  }
}

/** One standard normal draw from `rng` (ziggurat). */
export function standardNormal(rng: Rng): number {
  const u = rng.nextUint32() | 0;
  const iz = u & 127;
  const hz = u >> 7;
  // Integer |hz| keeps the hot path in int32 arithmetic.
  const sign = hz >> 31;
  if ((hz ^ sign) - sign < zigK[iz]!) return hz * zigW[iz]!;
  return zigSlow(rng, hz, iz);
}

/** Int32 buffer that doubles when full. */
class IntList {
  data: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Int32Array(Math.max(16, capacity));
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
}

function checkIndex(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min || value > 0xffffffff) {
    throw new Error(
      `SyntheticDataset.batch: ${name} = ${String(value)}; expected an integer in [${min}, 4294967295]`,
    );
  }
}

export class SyntheticDataset {
  readonly config: Readonly<SyntheticConfig>;
  readonly d: number;
  /** [n, d] unit rows: the ground-truth directions. */
  readonly features: Float32Array;
  /** p_i, the probability that feature i is drawn for a token. */
  readonly frequencies: Float64Array;
  /** The fixed unit direction u of massive tokens when massiveDirection is on (always defined, so it can be inspected). */
  readonly massiveAxis: Float32Array;
  private readonly cumulative: Float64Array;
  private readonly noiseScale: number;

  /** `config` may be partial: it is merged over the defaults and checked. */
  constructor(config: Partial<SyntheticConfig> = {}) {
    const c = validateSyntheticConfig(config);
    this.config = Object.freeze(c);
    this.d = c.d;
    this.features = randomUnitRows(new Rng(c.seed, STREAM_FEATURES), c.features, c.d);
    this.massiveAxis = randomUnitRows(new Rng(c.seed, STREAM_AXIS), 1, c.d);
    this.frequencies = powerLawFrequencies(c.features, c.meanActive, c.frequencyExponent);
    this.cumulative = new Float64Array(c.features);
    let acc = 0;
    for (let i = 0; i < c.features; i++) this.cumulative[i] = acc += this.frequencies[i]!;
    // Per-coordinate σ so that E‖noise‖ = noise·ρ exactly.
    this.noiseScale = c.noise / chiMean(c.d);
  }

  /** Deterministic batch: the same (split, batchIndex, size) always gives the same tokens, independent of what was generated before. */
  batch(split: SyntheticSplit, batchIndex: number, size: number): SyntheticBatch {
    const splitId = SPLIT_ID[split];
    if (splitId === undefined) {
      throw new Error(`SyntheticDataset.batch: split = ${String(split)}; expected "train" or "eval"`);
    }
    checkIndex("batchIndex", batchIndex, 0);
    checkIndex("size", size, 1);
    const { seed } = this.config;
    const stream = (part: number): Rng => new Rng(seed, STREAM_BATCH, splitId, batchIndex, part);
    const active = this.sampleActive(stream(PART_ACTIVE), stream(PART_MAGNITUDE), size);
    const { rho, massive } = this.sampleNorms(stream(PART_NORM), size);
    const x = this.compose(stream(PART_NOISE), active, rho, massive);
    return { x, active, rho, massive };
  }

  /**
   * Active sets by skip sampling: for each feature, the gap to its next active
   * token is geometric, so the cost is O(size·meanActive + n) draws rather than
   * one per (token, feature). Features are visited in order, so each token's
   * indices come out ascending.
   */
  private sampleActive(rng: Rng, magnitudeRng: Rng, size: number): SparseRows {
    const n = this.frequencies.length;
    const expected = Math.ceil(size * this.config.meanActive * 1.1) + 16;
    const hitToken = new IntList(expected);
    const hitFeature = new IntList(expected);
    const count = new Int32Array(size);
    for (let f = 0; f < n; f++) {
      const p = this.frequencies[f]!;
      if (p <= 0) continue;
      if (p >= 1) {
        for (let t = 0; t < size; t++) {
          hitToken.push(t);
          hitFeature.push(f);
          count[t]!++;
        }
        continue;
      }
      const invLogQ = 1 / Math.log1p(-p);
      let t = -1;
      for (;;) {
        t += 1 + Math.floor(Math.log(openUniform(rng)) * invLogQ);
        if (t >= size) break;
        hitToken.push(t);
        hitFeature.push(f);
        count[t]!++;
      }
    }
    // A token with nothing active gets one feature drawn in proportion to p.
    const total = this.cumulative[n - 1]!;
    for (let t = 0; t < size; t++) {
      if (count[t] !== 0) continue;
      const target = rng.uniform() * total;
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.cumulative[mid]! > target) hi = mid;
        else lo = mid + 1;
      }
      hitToken.push(t);
      hitFeature.push(lo);
      count[t] = 1;
    }
    // Counting sort by token; stable, so indices stay ascending within a row.
    const rowStart = new Int32Array(size + 1);
    for (let t = 0; t < size; t++) rowStart[t + 1] = rowStart[t]! + count[t]!;
    const nnz = rowStart[size]!;
    const index = new Int32Array(nnz);
    const cursor = rowStart.slice(0, size);
    const tokens = hitToken.data;
    const feats = hitFeature.data;
    for (let h = 0; h < hitToken.length; h++) index[cursor[tokens[h]!]!++] = feats[h]!;
    const value = new Float32Array(nnz);
    const { magnitudeMin: lo, magnitudeMax: hi } = this.config;
    for (let i = 0; i < nnz; i++) value[i] = lo + (hi - lo) * magnitudeRng.uniform();
    return { rows: size, rowStart, index, value };
  }

  /** ρ and the massive flag, from their own stream so they are independent of content by construction. */
  private sampleNorms(rng: Rng, size: number): { rho: Float32Array; massive: Uint8Array } {
    const { massiveFraction, massiveScale, massiveDirection, normSigma } = this.config;
    const rho = new Float32Array(size);
    const massive = new Uint8Array(size);
    for (let t = 0; t < size; t++) {
      // Always draw both so one token's outcome never shifts the next token's draws.
      const isMassive = rng.uniform() < massiveFraction;
      const z = rng.normal();
      massive[t] = isMassive ? 1 : 0;
      rho[t] = isMassive && !massiveDirection ? massiveScale : Math.exp(normSigma * z);
    }
    return { rho, massive };
  }

  /** x = ρ·v/‖v‖ (+ massiveScale·u for directional massive tokens) + noise with E‖noise‖ = noise·ρ. */
  private compose(rng: Rng, active: SparseRows, rho: Float32Array, massive: Uint8Array): Float32Array {
    const d = this.d;
    const size = active.rows;
    const F = this.features;
    const u = this.massiveAxis;
    const { massiveDirection, massiveScale } = this.config;
    const x = new Float32Array(size * d);
    const v = new Float64Array(d);
    const { rowStart, index, value } = active;
    for (let t = 0; t < size; t++) {
      v.fill(0);
      const end = rowStart[t + 1]!;
      let e = rowStart[t]!;
      // Four features per pass over v: about twice as fast as one at a time.
      for (; e + 3 < end; e += 4) {
        const a0 = value[e]!;
        const a1 = value[e + 1]!;
        const a2 = value[e + 2]!;
        const a3 = value[e + 3]!;
        const f0 = index[e]! * d;
        const f1 = index[e + 1]! * d;
        const f2 = index[e + 2]! * d;
        const f3 = index[e + 3]! * d;
        for (let k = 0; k < d; k++) {
          v[k]! += a0 * F[f0 + k]! + a1 * F[f1 + k]! + a2 * F[f2 + k]! + a3 * F[f3 + k]!;
        }
      }
      for (; e + 1 < end; e += 2) {
        const a0 = value[e]!;
        const a1 = value[e + 1]!;
        const f0 = index[e]! * d;
        const f1 = index[e + 1]! * d;
        for (let k = 0; k < d; k++) v[k]! += a0 * F[f0 + k]! + a1 * F[f1 + k]!;
      }
      if (e < end) {
        const a0 = value[e]!;
        const f0 = index[e]! * d;
        for (let k = 0; k < d; k++) v[k]! += a0 * F[f0 + k]!;
      }
      let sq = 0;
      for (let k = 0; k < d; k++) sq += v[k]! * v[k]!;
      const r = rho[t]!;
      // Positive magnitudes on distinct directions cannot cancel exactly; guard anyway.
      const scale = sq > 0 ? r / Math.sqrt(sq) : 0;
      const s = this.noiseScale * r;
      const o = t * d;
      if (s > 0) {
        for (let k = 0; k < d; k++) x[o + k] = scale * v[k]! + s * standardNormal(rng);
      } else {
        for (let k = 0; k < d; k++) x[o + k] = scale * v[k]!;
      }
      if (massiveDirection && massive[t] === 1) {
        for (let k = 0; k < d; k++) x[o + k]! += massiveScale * u[k]!;
      }
    }
    return x;
  }
}

/** `rows` independent uniformly random unit vectors (normalised Gaussians). */
function randomUnitRows(rng: Rng, rows: number, d: number): Float32Array {
  const out = new Float32Array(rows * d);
  const row = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    let sq = 0;
    do {
      sq = 0;
      for (let k = 0; k < d; k++) {
        row[k] = rng.normal();
        sq += row[k]! * row[k]!;
      }
    } while (sq === 0);
    const inv = 1 / Math.sqrt(sq);
    for (let k = 0; k < d; k++) out[r * d + k] = row[k]! * inv;
  }
  return out;
}
