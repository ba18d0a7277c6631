import assert from "node:assert/strict";
import test from "node:test";
import { evaluateSae } from "../../src/evaluation/evaluate.js";
import { featureAbsorption } from "../../src/evaluation/feature-absorption.js";
import {
  defaultAbsorptionOptions,
  firstLetter,
  firstLetterProbes,
} from "../../src/evaluation/first-letter-probes.js";
import { chooseKernels } from "../../src/kernels/choose-kernels.js";
import { allocateParams, type Sae } from "../../src/model/sae.js";
import { Rng } from "../../src/util/rng.js";
import { identitySae } from "../helpers/identity-sae.js";
import { testSaeConfig } from "../helpers/random-sae.js";
import { sparseRows } from "./sparse-rows.js";

test("firstLetter: after spaces and ▁, lower-cased a–z only", () => {
  assert.equal(firstLetter(" Apple"), "a");
  assert.equal(firstLetter("\u2581banana"), "b");
  assert.equal(firstLetter("cat"), "c");
  assert.equal(firstLetter("<s>"), null);
  assert.equal(firstLetter("<0xE2>"), null);
  assert.equal(firstLetter(" 12"), null);
  assert.equal(firstLetter(" é"), null);
  assert.equal(firstLetter(""), null);
});

/**
 * Raw activations in d = 4 whose first-letter probe for "a" is close to e₀: "a"
 * tokens have x₀ = 1, the others x₀ = 0; "b" tokens have x₁ = 1 (so that their
 * own probe finds them); x₂ is noise and x₃ = 1 on every other token of each
 * class, alike in all.
 * 60 "a" tokens, 60 "b" tokens, 49 "c" tokens (one short of the 50 a letter
 * needs) and 10 tokens that start with no letter.
 */
function letterSet() {
  const texts = [
    ...Array.from({ length: 60 }, (_, i) => (i % 2 ? " apple" : "an")),
    ...Array.from({ length: 60 }, () => " bee"),
    ...Array.from({ length: 49 }, () => " cat"),
    ...Array.from({ length: 10 }, () => " 7"),
  ];
  const rows = texts.length;
  const d = 4;
  const x = new Float32Array(rows * d);
  const rng = new Rng(5);
  for (let t = 0; t < rows; t++) {
    x[t * d] = texts[t]!.trim().startsWith("a") ? 1 : 0;
    x[t * d + 1] = (texts[t]!.trim().startsWith("b") ? 1 : 0) + 0.1 * rng.normal();
    x[t * d + 2] = 0.1 * rng.normal();
    x[t * d + 3] = t % 2;
  }
  return { x, rows, tokenText: texts };
}

/**
 * A hand-made inner SAE, d = 4, m = 4, plain decoding; against p̂ = e₀:
 * - latent 0: encoder e₀ (cosine 1), one of "a"'s latents;
 * - latent 1: encoder (1, √3, 0, 0) (cosine exactly 0.5, the threshold): also one of them;
 * - latent 2: encoder e₁ (cosine 0), decoder (0.5, 0, 0, √3/2): cosine 0.5 ≥ 0.3, d·p̂ = 0.5, can absorb;
 * - latent 3: encoder e₂, decoder (0.25, …): cosine 0.25 < 0.3, cannot absorb.
 */
function handmadeSae(): Sae {
  const config = testSaeConfig({ d: 4, m: 4, k: 2 });
  const params = allocateParams(config, Float64Array);
  params.encoder.set([1, 0, 0, 0, 1, Math.sqrt(3), 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
  params.decoder.set([
    1,
    0,
    0,
    0,
    0,
    1,
    0,
    0,
    0.5,
    0,
    0,
    Math.sqrt(3) / 2,
    0.25,
    Math.sqrt(1 - 0.0625),
    0,
    0,
  ]);
  return { config, params, constants: { scale: 1, nu: 1, threshold: 0 } };
}

test("a planted absorbing latent gives the absorption rate computed by hand", () => {
  const set = letterSet();
  const probes = firstLetterProbes(set, defaultAbsorptionOptions);
  // "a" and "b" have 60 tokens; "c" has 49, one short of minTokens
  assert.deepEqual(
    probes.map((p) => [p.letter, p.tokens]),
    [
      ["a", 60],
      ["b", 60],
    ],
  );
  const a = probes[0]!;
  assert.ok(a.direction[0]! > 0.9, `the probe points along e₀: ${[...a.direction]}`);
  assert.equal(a.truePositives.length, 60, "the probe finds every a token");
  assert.equal(a.probeF1, 1);
  assert.equal(firstLetterProbes(set, defaultAbsorptionOptions), probes, "fitted once per set");

  // Codes by hand on the 60 "a" tokens (rows 0–59), the pattern of eight repeated:
  //  0: latent 0 fires                         → found
  //  1: latent 1 fires (cosine exactly 0.5)    → found
  //  2: latent 2 alone                         → false negative, absorbed (all of the projection)
  //  3: latent 3 alone (decoder cosine 0.25)   → false negative, not absorbed
  //  4: nothing fires                          → false negative, not absorbed
  //  5: latent 2 (0.5) and latent 3 ×10 (2.5)  → false negative, 0.5 < 40% of 3: not absorbed
  //  6: latent 2 (0.5) and latent 3 ×3 (0.75)  → false negative, 0.5 = exactly 40% of 1.25: absorbed
  //  7: latent 2 (0.5) and latent 3 ×3.1       → false negative, 0.5 < 40% of 1.275: not absorbed
  const pattern: [number, number][][] = [
    [[0, 1]],
    [[1, 1]],
    [[2, 1]],
    [[3, 1]],
    [],
    [
      [2, 1],
      [3, 10],
    ],
    [
      [2, 1],
      [3, 3],
    ],
    [
      [2, 1],
      [3, 3.1],
    ],
  ];
  const codes = sparseRows(Array.from({ length: set.rows }, (_, t) => (t < 60 ? pattern[t % 8]! : [])));
  // the probe direction is e₀ up to the fit: use it exactly, so that the thresholds sit on their edges
  a.direction.set([1, 0, 0, 0]);
  const sae = handmadeSae();
  const report = featureAbsorption(
    sae,
    codes,
    new Float64Array(set.rows).fill(1),
    set,
    defaultAbsorptionOptions,
  )!;
  const letter = report.letters[0]!;
  // 60 = 7 × 8 + 4: patterns 0–7 seven times, then 0–3 once more
  const falseNegatives = 7 * 6 + 2; // patterns 2–7, then 2 and 3
  const absorbed = 7 * 2 + 1; // patterns 2 and 6, then 2
  assert.deepEqual(
    {
      letter: letter.letter,
      latents: letter.latents,
      best: letter.bestLatent,
      fn: letter.falseNegatives,
      absorbed: letter.absorbed,
    },
    { letter: "a", latents: 2, best: 0, fn: falseNegatives, absorbed },
  );
  assert.equal(letter.absorptionRate, absorbed / 60);
  assert.equal(letter.falseNegativeRate, falseNegatives / 60);
  // the mean is over letters: "b" has no latent firing on its tokens in these codes
  const b = report.letters[1]!;
  assert.equal(b.falseNegativeRate, 1);
  assert.equal(b.absorptionRate, 0);
  assert.equal(report.absorptionRate, (absorbed / 60 + 0) / 2);
  assert.equal(report.falseNegativeRate, (falseNegatives / 60 + 1) / 2);
});

test("a decoder cosine of exactly 0.3 can absorb; decoder rows need not be unit", () => {
  const set = letterSet();
  firstLetterProbes(set, defaultAbsorptionOptions)[0]!.direction.set([1, 0, 0, 0]);
  const sae = handmadeSae();
  // latent 3's decoder row (3, 9, 3, 1) has norm 10: cosine 3/10 with e₀, exactly the threshold
  sae.params.decoder.set([3, 9, 3, 1], 12);
  const codes = sparseRows(Array.from({ length: set.rows }, (_, t) => (t < 60 ? [[3, 0.5] as const] : [])));
  const report = featureAbsorption(
    sae,
    codes,
    new Float64Array(set.rows).fill(1),
    set,
    defaultAbsorptionOptions,
  )!;
  assert.equal(report.letters[0]!.falseNegatives, 60);
  assert.equal(report.letters[0]!.absorbed, 60);
  const stricter = { ...defaultAbsorptionOptions, decoderCosine: 0.31 };
  firstLetterProbes(set, stricter)[0]!.direction.set([1, 0, 0, 0]);
  assert.equal(
    featureAbsorption(sae, codes, new Float64Array(set.rows).fill(1), set, stricter)!.letters[0]!.absorbed,
    0,
  );
});

test("absorption reads the decoder scale: with equivariant decoding the contributions are z·r^(1−α_j)", () => {
  const set = letterSet();
  const probes = firstLetterProbes(set, defaultAbsorptionOptions);
  probes[0]!.direction.set([1, 0, 0, 0]);
  const sae = handmadeSae();
  sae.config.score = "blend-feature";
  sae.config.decode = "equivariant";
  sae.params.logGain = new Float64Array(4);
  // latent 2's contribution does not scale with r (α = 1), latent 3's does (α = 0)
  sae.params.alpha = Float64Array.from([0, 0, 1, 0]);
  // every "a" token: latent 2 (z 1) with latent 3 (z 3), as pattern 6 above: exactly 40% with plain decoding.
  const codes = sparseRows(
    Array.from({ length: set.rows }, (_, t) =>
      t < 60
        ? [
            [2, 1],
            [3, 3],
          ]
        : [],
    ),
  );
  // r = 1 on odd tokens: as plain decoding, exactly 40%, absorbed; r = 2 on even ones: latent 3 writes
  // 2 × 0.75, so latent 2's 0.5 is 25% of the projection: not absorbed
  const norm = Float64Array.from({ length: set.rows }, (_, t) => (t % 2 ? 1 : 2));
  const report = featureAbsorption(sae, codes, norm, set, defaultAbsorptionOptions)!;
  assert.equal(report.letters[0]!.falseNegatives, 60);
  assert.equal(report.letters[0]!.absorbed, 30);
});

test("no token text (synthetic data) or no letter with enough tokens: absorption is not measured", async () => {
  const set = letterSet();
  const codes = sparseRows(Array.from({ length: set.rows }, () => []));
  const norm = new Float64Array(set.rows).fill(1);
  const sae = handmadeSae();
  assert.equal(
    featureAbsorption(sae, codes, norm, { x: set.x, rows: set.rows }, defaultAbsorptionOptions),
    null,
  );
  assert.equal(
    featureAbsorption(sae, codes, norm, { ...set }, { ...defaultAbsorptionOptions, minTokens: 61 }),
    null,
  );
  // through evaluateSae: the identity SAE on the letter set has absorption figures
  const kernels = await chooseKernels(1);
  try {
    const r = await evaluateSae(identitySae(4), set, kernels);
    assert.equal(r.absorption!.letters.length, 2);
    // +e₀ is exactly the "a" direction and fires on every "a" token: no false negative
    assert.equal(r.absorption!.letters[0]!.bestLatent, 0);
    assert.equal(r.absorption!.letters[0]!.falseNegativeRate, 0);
    assert.equal(r.probing, null, "no concept bank");
  } finally {
    await kernels.dispose();
  }
});
