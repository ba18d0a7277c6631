import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import {
  chiMean,
  defaultSyntheticConfig,
  powerLawFrequencies,
  type SyntheticBatch,
  SyntheticDataset,
  standardNormal,
  validateSyntheticConfig,
} from "../../src/data/synthetic.js";
import { Rng } from "../../src/util/rng.js";

const N = 200_000;
const dataset = new SyntheticDataset(defaultSyntheticConfig);
let cached: SyntheticBatch | undefined;
/** One large default batch shared by the statistical tests. */
function big(): SyntheticBatch {
  cached ??= dataset.batch("train", 7, N);
  return cached;
}

/** Ground-truth content direction v̂ of token t. */
function contentDirection(ds: SyntheticDataset, b: SyntheticBatch, t: number): Float64Array {
  const d = ds.d;
  const v = new Float64Array(d);
  for (let e = b.active.rowStart[t]!; e < b.active.rowStart[t + 1]!; e++) {
    const f = b.active.index[e]!;
    const a = b.active.value[e]!;
    for (let k = 0; k < d; k++) v[k]! += a * ds.features[f * d + k]!;
  }
  let sq = 0;
  for (let k = 0; k < d; k++) sq += v[k]! * v[k]!;
  const inv = 1 / Math.sqrt(sq);
  for (let k = 0; k < d; k++) v[k]! *= inv;
  return v;
}

function rowNorm(x: Float32Array, t: number, d: number): number {
  let sq = 0;
  for (let k = 0; k < d; k++) sq += x[t * d + k]! ** 2;
  return Math.sqrt(sq);
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
}

function std(a: ArrayLike<number>): number {
  const m = mean(a);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - m) ** 2;
  return Math.sqrt(s / (a.length - 1));
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

function median(a: number[]): number {
  const s = [...a].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Probability that a token draws no feature (and so gets the fallback one). */
function probabilityNone(p: Float64Array): number {
  let none = 1;
  for (const pi of p) none *= 1 - pi;
  return none;
}

function sameBatch(a: SyntheticBatch, b: SyntheticBatch): boolean {
  const eq = (p: ArrayLike<number>, q: ArrayLike<number>): boolean => {
    if (p.length !== q.length) return false;
    for (let i = 0; i < p.length; i++) if (!Object.is(p[i], q[i])) return false;
    return true;
  };
  return (
    eq(a.x, b.x) &&
    eq(a.rho, b.rho) &&
    eq(a.massive, b.massive) &&
    eq(a.active.rowStart, b.active.rowStart) &&
    eq(a.active.index, b.active.index) &&
    eq(a.active.value, b.active.value)
  );
}

describe("SyntheticDataset determinism", () => {
  test("the same (split, batchIndex, size) is bit-identical, whatever came before", () => {
    const a = new SyntheticDataset({}).batch("train", 3, 500);
    const other = new SyntheticDataset({});
    other.batch("train", 0, 300);
    other.batch("eval", 3, 500);
    const b = other.batch("train", 3, 500);
    assert.ok(sameBatch(a, b));
    assert.ok(sameBatch(b, other.batch("train", 3, 500)));
  });

  test("batch index, split and seed change the tokens", () => {
    const ds = new SyntheticDataset({});
    const base = ds.batch("train", 3, 500);
    assert.ok(!sameBatch(base, ds.batch("train", 4, 500)));
    assert.ok(!sameBatch(base, ds.batch("eval", 3, 500)));
    assert.ok(!sameBatch(base, new SyntheticDataset({ seed: 1 }).batch("train", 3, 500)));
    assert.notDeepEqual(
      Array.from(ds.features.slice(0, 8)),
      Array.from(new SyntheticDataset({ seed: 1 }).features.slice(0, 8)),
    );
  });

  test("batch arguments are checked", () => {
    const ds = new SyntheticDataset({});
    assert.throws(() => ds.batch("train", -1, 10), /batchIndex = -1/);
    assert.throws(() => ds.batch("train", 1.5, 10), /batchIndex = 1\.5/);
    assert.throws(() => ds.batch("train", 0, 0), /size = 0/);
    assert.throws(() => ds.batch("test" as "train", 0, 10), /split = test/);
  });
});

describe("SyntheticDataset ground truth", () => {
  test("features are unit rows of the configured shape", () => {
    const { d, features } = defaultSyntheticConfig;
    assert.equal(dataset.features.length, features * d);
    for (let f = 0; f < features; f++) {
      let sq = 0;
      for (let k = 0; k < d; k++) sq += dataset.features[f * d + k]! ** 2;
      assert.ok(Math.abs(Math.sqrt(sq) - 1) < 1e-5, `feature ${f} has norm ${Math.sqrt(sq)}`);
    }
    // Random directions in R^128 are nearly orthogonal.
    let worst = 0;
    for (let f = 1; f < 64; f++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += dataset.features[k]! * dataset.features[f * d + k]!;
      worst = Math.max(worst, Math.abs(dot));
    }
    assert.ok(worst < 0.5, `max |cos| ${worst}`);
  });

  test("frequencies follow the power law and sum to meanActive", () => {
    const p = dataset.frequencies;
    const { meanActive, frequencyExponent } = defaultSyntheticConfig;
    assert.ok(Math.abs(p.reduce((s, v) => s + v, 0) - meanActive) < 1e-9);
    assert.ok(Math.abs(p[1]! / p[0]! - 2 ** -frequencyExponent) < 1e-12);
    assert.ok(Math.abs(p[99]! / p[9]! - 10 ** -frequencyExponent) < 1e-12);
  });

  test("probabilities above 1 are capped and the rest rescaled", () => {
    const p = powerLawFrequencies(6, 4, 2);
    assert.ok(Math.abs(p.reduce((s, v) => s + v, 0) - 4) < 1e-12);
    for (const v of p) assert.ok(v <= 1 && v > 0);
    assert.equal(p[0], 1);
    assert.ok(p[5]! < 1);
    assert.ok(Math.abs(p[5]! / p[4]! - (5 / 6) ** 2) < 1e-12);
    assert.deepEqual(Array.from(powerLawFrequencies(3, 3, 1)), [1, 1, 1]);
  });

  test("active rows are well formed: ascending indices, at least one, magnitudes in range", () => {
    const b = big();
    const { rowStart, index, value } = b.active;
    const { magnitudeMin, magnitudeMax, features } = defaultSyntheticConfig;
    assert.equal(b.active.rows, N);
    assert.ok(value instanceof Float32Array);
    for (let t = 0; t < N; t++) {
      assert.ok(rowStart[t + 1]! > rowStart[t]!, `token ${t} has no feature`);
      for (let e = rowStart[t]! + 1; e < rowStart[t + 1]!; e++) assert.ok(index[e]! > index[e - 1]!);
    }
    for (let e = 0; e < index.length; e++) {
      assert.ok(index[e]! >= 0 && index[e]! < features);
      assert.ok(value[e]! >= magnitudeMin && value[e]! <= magnitudeMax);
    }
    assert.ok(Math.abs(mean(value) - (magnitudeMin + magnitudeMax) / 2) < 0.005);
  });

  test("empirical activation frequency matches p_i for a frequent and a mid feature", () => {
    const b = big();
    const p = dataset.frequencies;
    const none = probabilityNone(p);
    const total = p.reduce((s, v) => s + v, 0);
    const hits = new Float64Array(p.length);
    for (const f of b.active.index) hits[f]!++;
    for (const f of [0, 3, 100]) {
      const expected = p[f]! + (none * p[f]!) / total;
      const se = Math.sqrt((expected * (1 - expected)) / N);
      const observed = hits[f]! / N;
      assert.ok(
        Math.abs(observed - expected) < 4 * se,
        `feature ${f}: observed ${observed}, expected ${expected} ± ${se}`,
      );
    }
  });

  test("mean number of active features is meanActive (plus the rare fallback)", () => {
    const b = big();
    const p = dataset.frequencies;
    const counts = new Float64Array(N);
    for (let t = 0; t < N; t++) counts[t] = b.active.rowStart[t + 1]! - b.active.rowStart[t]!;
    let variance = 0;
    for (const pi of p) variance += pi * (1 - pi);
    const expected = defaultSyntheticConfig.meanActive + probabilityNone(p);
    const se = Math.sqrt(variance / N);
    assert.ok(Math.abs(mean(counts) - expected) < 4 * se, `mean ${mean(counts)} vs ${expected} ± ${se}`);
  });
});

describe("SyntheticDataset tokens", () => {
  test("x is ρ·v̂ plus noise of expected norm noise·ρ", () => {
    const b = big();
    const d = dataset.d;
    const { noise } = defaultSyntheticConfig;
    const cosines: number[] = [];
    const normRatio: number[] = [];
    const noiseRatio: number[] = [];
    for (let t = 0; t < 20_000; t++) {
      const v = contentDirection(dataset, b, t);
      const r = b.rho[t]!;
      let dot = 0;
      let residual = 0;
      for (let k = 0; k < d; k++) {
        const xk = b.x[t * d + k]!;
        dot += xk * v[k]!;
        residual += (xk - r * v[k]!) ** 2;
      }
      const n = rowNorm(b.x, t, d);
      cosines.push(dot / n);
      normRatio.push(n / r);
      noiseRatio.push(Math.sqrt(residual) / r);
    }
    assert.ok(Math.min(...cosines) > 0.98, `min cosine ${Math.min(...cosines)}`);
    assert.ok(mean(cosines) > 0.995, `mean cosine ${mean(cosines)}`);
    assert.ok(Math.max(...normRatio.map((q) => Math.abs(q - 1))) < 0.05);
    assert.ok(Math.abs(mean(normRatio) - 1) < 0.005, `mean ‖x‖/ρ ${mean(normRatio)}`);
    // E‖noise‖ = noise·ρ exactly (chi mean), within sampling error.
    assert.ok(Math.abs(mean(noiseRatio) / noise - 1) < 0.005, `mean ‖noise‖/ρ ${mean(noiseRatio)}`);
  });

  test("without noise x is exactly ρ·v̂", () => {
    const ds = new SyntheticDataset({ noise: 0 });
    const b = ds.batch("eval", 0, 200);
    for (let t = 0; t < 200; t++) {
      const v = contentDirection(ds, b, t);
      for (let k = 0; k < ds.d; k++) assert.ok(Math.abs(b.x[t * ds.d + k]! - b.rho[t]! * v[k]!) < 1e-5);
    }
  });

  test("ρ of ordinary tokens is log-normal (median 1, log-std σ) and independent of content", () => {
    const b = big();
    const logRho: number[] = [];
    const counts: number[] = [];
    const firstFeature: number[] = [];
    for (let t = 0; t < N; t++) {
      if (b.massive[t] === 1) continue;
      logRho.push(Math.log(b.rho[t]!));
      counts.push(b.active.rowStart[t + 1]! - b.active.rowStart[t]!);
      firstFeature.push(b.active.index[b.active.rowStart[t]!]!);
    }
    const n = logRho.length;
    const sigma = defaultSyntheticConfig.normSigma;
    assert.ok(Math.abs(std(logRho) - sigma) < 4 * (sigma / Math.sqrt(2 * n)), `log-std ${std(logRho)}`);
    assert.ok(Math.abs(median(logRho)) < 0.01, `median ρ ${Math.exp(median(logRho))}`);
    const bound = 4 / Math.sqrt(n);
    assert.ok(
      Math.abs(correlation(logRho, counts)) < bound,
      `corr(log ρ, count) ${correlation(logRho, counts)}`,
    );
    assert.ok(Math.abs(correlation(logRho, firstFeature)) < bound);
  });

  test("about 1% of tokens are massive, with ρ = massiveScale", () => {
    const b = big();
    const { massiveFraction, massiveScale } = defaultSyntheticConfig;
    const fraction = mean(b.massive);
    const se = Math.sqrt((massiveFraction * (1 - massiveFraction)) / N);
    assert.ok(Math.abs(fraction - massiveFraction) < 4 * se, `massive fraction ${fraction}`);
    for (let t = 0; t < N; t++) {
      if (b.massive[t] !== 1) continue;
      assert.equal(b.rho[t], massiveScale);
      assert.ok(Math.abs(rowNorm(b.x, t, dataset.d) / massiveScale - 1) < 0.05);
    }
  });

  test("under the defaults massive tokens carry less than half of the total variance", (t) => {
    const b = big();
    const d = dataset.d;
    const centre = new Float64Array(d);
    for (let i = 0; i < N; i++) for (let k = 0; k < d; k++) centre[k]! += b.x[i * d + k]!;
    for (let k = 0; k < d; k++) centre[k]! /= N;
    let total = 0;
    let massive = 0;
    for (let i = 0; i < N; i++) {
      let sq = 0;
      for (let k = 0; k < d; k++) sq += (b.x[i * d + k]! - centre[k]!) ** 2;
      total += sq;
      if (b.massive[i] === 1) massive += sq;
    }
    const share = massive / total;
    t.diagnostic(`massive share of Σ‖x − x̄‖²: ${share.toFixed(4)}`);
    assert.ok(share < 0.5, `massive share ${share}`);
    assert.ok(share > 0.1, `massive share ${share} is implausibly small`);
  });

  test("massiveDirection puts massive tokens along one fixed direction u", () => {
    const plain = new SyntheticDataset({ massiveDirection: false });
    const directed = new SyntheticDataset({ massiveDirection: true });
    const size = 20_000;
    const a = plain.batch("train", 2, size);
    const b = directed.batch("train", 2, size);
    const d = directed.d;
    const u = directed.massiveAxis;
    assert.ok(Math.abs(Math.hypot(...u) - 1) < 1e-6);
    assert.deepEqual(a.massive, b.massive);
    const along: number[] = [];
    const ordinary: number[] = [];
    for (let t = 0; t < size; t++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += b.x[t * d + k]! * u[k]!;
      if (b.massive[t] === 1) {
        along.push(dot);
        // The rest is ρ·v̂ + noise with a log-normal ρ.
        const v = contentDirection(directed, b, t);
        let dv = 0;
        for (let k = 0; k < d; k++) dv += (b.x[t * d + k]! - 10 * u[k]!) * v[k]!;
        assert.ok(Math.abs(dv / b.rho[t]! - 1) < 0.05);
        assert.notEqual(b.rho[t], 10);
      } else {
        ordinary.push(Math.abs(dot));
        // Ordinary tokens are untouched by the option.
        for (let k = 0; k < d; k++) assert.equal(b.x[t * d + k], a.x[t * d + k]);
      }
    }
    assert.ok(along.length > 100);
    assert.ok(Math.abs(mean(along) - 10) < 0.3, `mean x·u of massive tokens ${mean(along)}`);
    assert.ok(Math.min(...along) > 6);
    assert.ok(mean(ordinary) < 0.3, `mean |x·u| of ordinary tokens ${mean(ordinary)}`);
  });
});

describe("samplers", () => {
  test("ziggurat normals have the right moments and tails", () => {
    const rng = new Rng(11, 22);
    const n = 2_000_000;
    let s1 = 0;
    let s2 = 0;
    let s4 = 0;
    let over1 = 0;
    let over3 = 0;
    let overR = 0;
    for (let i = 0; i < n; i++) {
      const z = standardNormal(rng);
      s1 += z;
      s2 += z * z;
      s4 += z ** 4;
      if (Math.abs(z) > 1) over1++;
      if (Math.abs(z) > 3) over3++;
      if (z > 3.5) overR++;
    }
    const check = (name: string, observed: number, expected: number, se: number): void =>
      assert.ok(Math.abs(observed - expected) < 4 * se, `${name}: ${observed} vs ${expected} ± ${se}`);
    check("mean", s1 / n, 0, Math.sqrt(1 / n));
    check("variance", s2 / n, 1, Math.sqrt(2 / n));
    check("fourth moment", s4 / n, 3, Math.sqrt(96 / n));
    const tail = (p: number): number => Math.sqrt((p * (1 - p)) / n);
    check("P(|z| > 1)", over1 / n, 0.3173105, tail(0.3173105));
    check("P(|z| > 3)", over3 / n, 0.0026998, tail(0.0026998));
    check("P(z > 3.5)", overR / n, 0.00023263, tail(0.00023263));
  });

  test("chiMean is E‖z‖ for small d", () => {
    assert.ok(Math.abs(chiMean(1) - Math.sqrt(2 / Math.PI)) < 1e-15);
    assert.ok(Math.abs(chiMean(2) - Math.sqrt(Math.PI / 2)) < 1e-15);
    assert.ok(Math.abs(chiMean(3) - 2 * Math.sqrt(2 / Math.PI)) < 1e-15);
    assert.ok(Math.abs(chiMean(128) - Math.sqrt(127.5)) < 1e-3);
  });
});

describe("validateSyntheticConfig", () => {
  test("merges defaults", () => {
    assert.deepEqual(validateSyntheticConfig(undefined), { ...defaultSyntheticConfig });
    const c = validateSyntheticConfig({ d: 16, massiveDirection: true });
    assert.equal(c.d, 16);
    assert.equal(c.massiveDirection, true);
    assert.equal(c.features, defaultSyntheticConfig.features);
  });

  const bad: [unknown, RegExp][] = [
    [{ dims: 3 }, /dims = 3.*no such option/],
    [{ d: "128" }, /d = "128".*finite number/],
    [{ d: 1.5 }, /d = 1\.5.*integer/],
    [{ features: 0 }, /features = 0.*integer >= 1/],
    [{ meanActive: 0 }, /meanActive = 0.*> 0/],
    [{ meanActive: 600 }, /meanActive = 600.*<= features \(512\)/],
    [{ frequencyExponent: -1 }, /frequencyExponent = -1.*>= 0/],
    [{ magnitudeMin: 0 }, /magnitudeMin = 0.*> 0/],
    [{ magnitudeMin: 2, magnitudeMax: 1 }, /magnitudeMax = 1.*>= magnitudeMin/],
    [{ normSigma: Number.NaN }, /normSigma = NaN.*finite number/],
    [{ massiveFraction: 1.5 }, /massiveFraction = 1\.5.*\[0, 1\]/],
    [{ massiveScale: 0 }, /massiveScale = 0.*> 0/],
    [{ massiveDirection: 1 }, /massiveDirection = 1.*boolean/],
    [{ noise: -0.1 }, /noise = -0\.1.*>= 0/],
    [{ seed: -1 }, /seed = -1.*integer in/],
    [[1, 2], /config.*object/],
    ["big", /config.*object/],
  ];
  for (const [input, message] of bad) {
    test(`rejects ${inspect(input)}`, () => {
      assert.throws(() => validateSyntheticConfig(input), message);
    });
  }

  test("the constructor validates too", () => {
    assert.throws(() => new SyntheticDataset({ d: 0 }), /d = 0/);
  });
});
