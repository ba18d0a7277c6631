import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { adamMoments } from "../../src/kernels/adam.js";
import type { FloatArray, SparseRows } from "../../src/kernels/arrays.js";
import type { EntryTerms } from "../../src/kernels/entry-terms.js";
import type { Kernels } from "../../src/kernels/kernels.js";
import { referenceKernels as ref, referenceDenseScores } from "../../src/kernels/reference.js";
import type { ScoreSpec } from "../../src/kernels/score-transform.js";
import { backwardTraining, forwardTraining, type LossOptions } from "../../src/model/loss.js";
import { allocateParams, cloneSae, paramNames } from "../../src/model/sae.js";
import { Rng } from "../../src/util/rng.js";
import { kernelSets } from "../helpers/kernel-sets.js";
import { requirePart, skipWhenMissing } from "../helpers/optional-part.js";
import { randomSae } from "../helpers/random-sae.js";

/**
 * The reference-agreement suite: every kernel set registered in
 * test/helpers/kernel-sets.ts against the reference kernels (reference.ts), on
 * the same inputs with the same tolerances. A set skips only when it is missing
 * here (never under CI=true).
 */
const sets = await Promise.all(kernelSets.map((s) => s.create()));
after(async () => {
  for (const s of sets) if (s.kernels !== ref) await s.kernels?.dispose();
});

function random(n: number, seed: number, shift = 0): Float32Array {
  const rng = new Rng(seed, 7);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() + shift;
  return a;
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) {
    assert.ok(
      Math.abs(got[i]! - want[i]!) <= rel * Math.max(scale, 1e-30),
      `${what}[${i}]: ${got[i]} vs ${want[i]}`,
    );
  }
}

function assertSameCodes(got: SparseRows, want: SparseRows, what: string): void {
  assert.deepEqual(Array.from(got.rowStart), Array.from(want.rowStart), `${what}: rowStart`);
  assert.deepEqual(Array.from(got.index), Array.from(want.index), `${what}: index`);
  assert.deepEqual(Array.from(got.value), Array.from(want.value), `${what}: value`);
}

function randomF32(n: number, seed: number): Float32Array {
  const rng = new Rng(seed, 3);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() + 0.2;
  return a;
}

/**
 * `got` = X·Wᵀ within relative 1e-5 of the float64 product, the error measured
 * against Σ_c |x_c w_c| (the size of the terms summed, so cancellation is fair).
 */
function assertMatchesReference(
  got: FloatArray,
  x: Float32Array,
  w: Float32Array,
  rows: number,
  d: number,
  m: number,
) {
  assert.equal(got.length, rows * m, `result length for ${rows}×${d}·(${m}×${d})ᵀ`);
  const want = referenceDenseScores(Float64Array.from(x), Float64Array.from(w), rows, d, m);
  for (let t = 0; t < rows; t++) {
    for (let j = 0; j < m; j++) {
      let scale = 0;
      for (let c = 0; c < d; c++) scale += Math.abs(x[t * d + c]! * w[j * d + c]!);
      const g = got[t * m + j]!;
      const e = want[t * m + j]!;
      assert.ok(
        Math.abs(g - e) <= 1e-5 * scale + 1e-30,
        `${rows}×${d}·(${m}×${d})ᵀ at (${t}, ${j}): got ${g}, reference ${e} (scale ${scale})`,
      );
    }
  }
}

for (const set of sets) {
  const skip = skipWhenMissing(`${set.name} kernels`, set.missing);
  const kernels = (): Kernels => requirePart(`${set.name} kernels`, set.kernels, set.missing);
  describe(`${set.name} kernels agree with the reference`, () => {
    test(`${set.name}: dense scores match the float64 product`, { skip }, async () => {
      const [rows, d, m] = [37, 50, 129];
      const x = random(rows * d, 1);
      const w = random(m * d, 2);
      const got = await kernels().denseScores(x, w, rows, d, m);
      const want = ref.denseScores(Float64Array.from(x), Float64Array.from(w), rows, d, m);
      assertClose(got, await want, 1e-5, "scores");
    });

    test(`${set.name}: score transform matches the reference for every score (1e-5 relative)`, {
      skip,
    }, () => {
      const [rows, m] = [40, 300];
      const rng = new Rng(5, 1);
      for (const score of ["inner", "cosine", "blend", "blend-feature"] as const) {
        const spec: ScoreSpec = {
          score,
          bias: random(m, 3),
          gain: Float64Array.from({ length: m }, () => Math.exp(rng.normal())),
          encoderNorm: Float64Array.from({ length: m }, () => 0.5 + rng.uniform()),
          alpha: Float64Array.from({ length: m }, () => (score === "blend" ? 0.3 : rng.uniform())),
          norm: Float64Array.from({ length: rows }, () => 0.1 + 3 * rng.uniform()),
          nu: 1.3,
          eps: 1e-6,
        };
        const a = random(rows * m, 4);
        const want = Float64Array.from(a);
        ref.applyScore(want, rows, m, spec);
        const got = a.slice();
        kernels().applyScore(got, rows, m, spec);
        assertClose(got, want, 1e-5, score);
        // Fused transform + BatchTopK selects what the reference selects from the same values.
        const fused = a.slice();
        const codes = kernels().applyScoreSelectBatchTopK(fused, rows, m, spec, rows * 5);
        assert.deepEqual(fused, got, `${score}: the fused pass leaves the same pre-activations`);
        assertSameCodes(codes, ref.selectBatchTopK(got, rows, m, rows * 5), `${score} fused selection`);
      }
    });

    test(`${set.name}: selections equal the reference exactly, ties included`, { skip }, () => {
      const [rows, m] = [64, 500];
      const p = random(rows * m, 9, -1);
      // Ties at the cut: quantise so many values are equal.
      const tied = p.map((v) => Math.round(v * 4) / 4);
      for (const values of [p, tied]) {
        for (const count of [1, rows, rows * 8, rows * m]) {
          assertSameCodes(
            kernels().selectBatchTopK(values, rows, m, count),
            ref.selectBatchTopK(values, rows, m, count),
            `batchtopk ${count}`,
          );
        }
        for (const k of [1, 7, 600]) {
          assertSameCodes(
            kernels().selectTopK(values, rows, m, k),
            ref.selectTopK(values, rows, m, k),
            `topk ${k}`,
          );
        }
        const columns = Int32Array.from({ length: 120 }, (_, i) => i * 4 + 1);
        assertSameCodes(
          kernels().selectTopKAmong(values, rows, m, columns, 9),
          ref.selectTopKAmong(values, rows, m, columns, 9),
          "topk among",
        );
        const threshold = Float64Array.from({ length: m }, (_, j) => 0.5 + (j % 7) * 0.1);
        assertSameCodes(
          kernels().selectAboveThreshold(values, rows, m, threshold),
          ref.selectAboveThreshold(values, rows, m, threshold),
          "above threshold",
        );
      }
    });

    test(`${set.name}: sparse decode and accumulate match the reference`, { skip }, () => {
      const [rows, m, d] = [50, 80, 33];
      const p = random(rows * m, 11);
      const codes = ref.selectBatchTopK(p, rows, m, rows * 6);
      const w = random(m * d, 12);
      const x = random(rows * d, 13);
      const out = [random(rows * d, 14), random(rows * d, 14)] as const;
      kernels().sparseDecode(codes, w, d, out[0]);
      ref.sparseDecode(codes, w, d, out[1]);
      assertClose(out[0], out[1], 1e-6, "decode");
      const acc = [random(m * d, 15), random(m * d, 15)] as const;
      kernels().sparseAccumulate(codes, x, d, acc[0]);
      ref.sparseAccumulate(codes, x, d, acc[1]);
      assertClose(acc[0], acc[1], 1e-6, "accumulate");
    });

    test(`${set.name}: latent-ordered backward and loss passes match the reference`, { skip }, () => {
      const [rows, m, d] = [50, 80, 37];
      const codes = ref.selectBatchTopK(random(rows * m, 21), rows, m, rows * 6);
      const n = codes.rowStart[rows]!;
      const order = kernels().transposeCodes(codes, m);
      const want = ref.transposeCodes(codes, m);
      for (const key of ["start", "entry", "token"] as const)
        assert.deepEqual(Array.from(order[key]), Array.from(want[key]), `transpose ${key}`);
      const shared = {
        upstream: random(rows * d, 22),
        decoder: random(m * d, 23),
        decoderCoef: random(n, 24),
        xc: random(rows * d, 25),
        encoder: random(m * d, 26),
        encoderScale: Float64Array.from(random(n, 27)),
      };
      const outs = [0, 1].map(() => ({
        gradDecoder: random(m * d, 28),
        gradEncoder: random(m * d, 29),
        upstreamDot: new Float64Array(n),
        encoderDot: new Float64Array(n),
      }));
      for (const overwrite of [false, true]) {
        kernels().latentBackward(order, { ...shared, ...outs[0]! }, d, overwrite);
        ref.latentBackward(want, { ...shared, ...outs[1]! }, d, overwrite);
        for (const key of ["gradDecoder", "gradEncoder", "upstreamDot", "encoderDot"] as const)
          assertClose(outs[0]![key], outs[1]![key], 1e-6, `latent backward ${key} (overwrite ${overwrite})`);
      }
      const sums = [new Float64Array(d), new Float64Array(d)] as const;
      const coef = Float64Array.from(random(rows, 30), (v) => Math.max(v, 0));
      kernels().weightedRowSum(shared.xc, coef, rows, d, sums[0]);
      ref.weightedRowSum(shared.xc, coef, rows, d, sums[1]);
      assertClose(sums[0], sums[1], 1e-12, "weighted row sum");
      const estimates = [random(rows * d, 31), random(rows * d, 31)] as const;
      const upstreams = [new Float32Array(rows * d), new Float32Array(rows * d)] as const;
      const sse = [new Float64Array(rows), new Float64Array(rows)] as const;
      const weight = Float64Array.from(random(rows, 32), Math.abs);
      kernels().residualUpstream(shared.xc, estimates[0], weight, rows, d, -0.25, upstreams[0], sse[0]);
      ref.residualUpstream(shared.xc, estimates[1], weight, rows, d, -0.25, upstreams[1], sse[1]);
      assert.deepEqual(Array.from(estimates[0]), Array.from(estimates[1]), "residual");
      assert.deepEqual(Array.from(upstreams[0]), Array.from(upstreams[1]), "upstream");
      assert.deepEqual(Array.from(sse[0]), Array.from(sse[1]), "token sse");
      const css = kernels().centredSumOfSquares(shared.xc, rows, d);
      assert.ok(
        Math.abs(css - ref.centredSumOfSquares(shared.xc, rows, d)) <= 1e-12 * css,
        "centred sum of squares",
      );
    });

    test(`${set.name}: Adam is bit-identical to kernels/adam.ts; norms and the decoder constraint match`, {
      skip,
    }, () => {
      const [m, d] = [70, 40];
      const param = [random(m * d, 20), random(m * d, 20)] as const;
      const moments = [adamMoments(m * d), adamMoments(m * d)] as const;
      for (let t = 1; t <= 3; t++) {
        const grad = random(m * d, 20 + t);
        kernels().adamUpdate(param[0], grad, moments[0], t, 1e-3);
        ref.adamUpdate(param[1], grad, moments[1], t, 1e-3);
      }
      assert.deepEqual(param[0], param[1]);
      assert.deepEqual(moments[0], moments[1]);
      assertClose(kernels().rowNorms(param[0], m, d), ref.rowNorms(param[0], m, d), 1e-12, "row norms");
      const decoder = [param[0].slice(), param[0].slice()] as const;
      kernels().normaliseRows(decoder[0], d);
      ref.normaliseRows(decoder[1], d);
      assertClose(decoder[0], decoder[1], 1e-6, "normalise");
      const grad = [random(m * d, 30), random(m * d, 30)] as const;
      kernels().projectToTangent(decoder[1], grad[0], d);
      ref.projectToTangent(decoder[1], grad[1], d);
      assertClose(grad[0], grad[1], 1e-6, "tangent");
    });

    test(`${set.name}: the fused decoder step is bit-identical to projection, Adam and renormalisation in turn`, {
      skip,
    }, () => {
      const [m, d] = [600, 40]; // enough rows for every thread to get a piece
      const decoder = [random(m * d, 40), random(m * d, 40), random(m * d, 40)] as const;
      for (const r of decoder) kernels().normaliseRows(r, d);
      const moments = [adamMoments(m * d), adamMoments(m * d), adamMoments(m * d)] as const;
      for (let t = 1; t <= 3; t++) {
        const grad = random(m * d, 40 + t);
        for (let j = 0; j < d; j++) grad[5 * d + j] = 0; // a row with no gradient takes Adam with g = 0
        const kept = grad.slice();
        kernels().adamUpdateOnSphere(decoder[0], grad.slice(), moments[0], t, 1e-3, d); // may project in place
        kernels().projectToTangent(decoder[1], grad, d);
        kernels().adamUpdate(decoder[1], grad, moments[1], t, 1e-3);
        kernels().normaliseRows(decoder[1], d);
        ref.adamUpdateOnSphere(decoder[2], kept, moments[2], t, 1e-3, d);
      }
      assert.deepEqual(decoder[0], decoder[1]);
      assert.deepEqual(moments[0], moments[1]);
      assertClose(decoder[0], decoder[2], 1e-6, "fused step vs the TypeScript passes");
    });

    test(`${set.name}: the encoder step with row norms is bit-identical to Adam then rowNorms`, {
      skip,
    }, () => {
      const [m, d] = [600, 40]; // enough rows for every thread to get a piece
      const param = [random(m * d, 60), random(m * d, 60), random(m * d, 60)] as const;
      const moments = [adamMoments(m * d), adamMoments(m * d), adamMoments(m * d)] as const;
      for (let t = 1; t <= 3; t++) {
        const grad = random(m * d, 61 + t);
        const norms = kernels().adamUpdateRowNorms(param[0], grad, moments[0], t, 1e-3, d);
        kernels().adamUpdate(param[1], grad, moments[1], t, 1e-3);
        assert.deepEqual(norms, kernels().rowNorms(param[1], m, d));
        assert.deepEqual(param[0], param[1]);
        assert.deepEqual(moments[0], moments[1]);
        const want = ref.adamUpdateRowNorms(param[2], grad, moments[2], t, 1e-3, d);
        assert.deepEqual(want, ref.rowNorms(param[2], m, d));
        assertClose(norms, want, 1e-6, "fused step vs the TypeScript passes");
      }
    });

    test(`${set.name}: centring is bit-identical to the TypeScript pass`, { skip }, () => {
      const [rows, d] = [300, 70];
      const x = random(rows * d, 50, 3);
      const bDec = random(d, 51);
      const out = () => ({
        xs: new Float32Array(rows * d),
        xc: new Float32Array(rows * d),
        norm: new Float64Array(rows),
      });
      const [got, want] = [out(), out()];
      kernels().centre(x, 1 / 1.7, bDec, rows, d, got.xs, got.xc, got.norm);
      ref.centre(x, 1 / 1.7, bDec, rows, d, want.xs, want.xc, want.norm);
      assert.deepEqual(got, want);
      // cosineOf "uncentred" centres on the origin: x_c is then x̃ bit for bit, n = ‖x̃‖.
      const origin = out();
      kernels().centre(x, 1 / 1.7, new Float32Array(d), rows, d, origin.xs, origin.xc, origin.norm);
      assert.deepEqual(origin.xc, want.xs);
      assert.deepEqual(origin.xs, want.xs);
    });

    test(`${set.name}: a training step's loss and gradients match the reference under both cosine origins`, {
      skip,
    }, async () => {
      const [rows, d, m, k] = [48, 12, 40, 3];
      const x = random(rows * d, 70, 1.5); // an offset, so where the cosine looks matters
      for (const score of ["cosine", "blend-feature"] as const) {
        for (const cosineOf of ["centred", "uncentred"] as const) {
          for (const decode of ["plain", "equivariant"] as const) {
            const label = `${score} ${cosineOf} ${decode}`;
            const sae = cloneSae(randomSae({ score, decode, cosineOf, d, m, k }, 71), Float32Array);
            const step = async (ks: Kernels) => {
              const dead = new Uint8Array(m).map((_, j) => (j % 5 === 0 ? 1 : 0));
              const options: LossOptions = { reweight: "none", auxk: { dead, kAux: 2, coef: 1 / 32 } };
              const fwd = await forwardTraining(sae, x, rows, ks, options);
              const grads = allocateParams(sae.config);
              backwardTraining(sae, fwd, ks, grads);
              return { loss: fwd.loss, codes: fwd.codes, grads };
            };
            const got = await step(kernels());
            const want = await step(ref);
            assert.deepEqual(Array.from(got.codes.index), Array.from(want.codes.index), `${label}: codes`);
            assert.ok(Math.abs(got.loss - want.loss) <= 1e-5 * want.loss, `${label}: loss`);
            for (const name of paramNames)
              assertClose(got.grads[name], want.grads[name], 1e-4, `${label}: ∂${name}`);
          }
        }
      }
    });

    test(`${set.name}: per-entry backward terms are bit-identical to entry-terms.ts for every score and decoding`, {
      skip,
    }, () => {
      const [rows, m] = [600, 90]; // enough entries to split the sums between threads
      const rng = new Rng(61, 1);
      const codes = ref.selectTopK(random(rows * m, 62, 0.3), rows, m, 7);
      const count = codes.rowStart[rows]!;
      const f64 = (n: number, f: () => number) => Float64Array.from({ length: n }, f);
      for (const score of ["inner", "cosine", "blend", "blend-feature"] as const) {
        for (const equivariant of [false, true]) {
          const power =
            score === "blend" || score === "blend-feature" ? f64(count, () => Math.exp(rng.normal())) : null;
          const e: EntryTerms = {
            score,
            equivariant,
            nu: 1.3,
            eps: 1e-6,
            norm: f64(rows, () => 1 + rng.uniform()),
            logRatio: f64(rows, () => rng.normal()),
            gain: f64(m, () => Math.exp(rng.normal())),
            encoderNorm: f64(m, () => 0.5 + rng.uniform()),
            alpha: f64(m, () => rng.uniform()),
            scale: equivariant ? f64(count, () => Math.exp(rng.normal())) : null,
            power,
          };
          const dots = [f64(count, () => rng.normal()), f64(count, () => rng.normal())] as const;
          const run = (k: Kernels) => {
            const decoderCoef = new Float32Array(count);
            const encoderScale = new Float64Array(count);
            k.entryCoefficients(codes, e, decoderCoef, encoderScale);
            const sums = {
              bEnc: random(m, 63),
              logGain: random(m, 64),
              alpha: random(score === "blend" ? 1 : score === "blend-feature" ? m : 0, 65),
              dNorm: new Float64Array(rows),
              dEncoderNorm: new Float64Array(m),
              encoderCoefSum: new Float64Array(m),
            };
            k.entryReductions(codes, e, dots[0], dots[1], encoderScale, sums);
            return { decoderCoef, encoderScale, sums };
          };
          assert.deepEqual(run(kernels()), run(ref), `${score}${equivariant ? ", equivariant" : ""}`);
        }
      }
    });

    test(`${set.name}: denseScores matches the float64 reference on several shapes`, { skip }, async () => {
      const shapes: Array<[number, number, number]> = [
        [1, 1, 1],
        [1, 16, 64],
        [3, 5, 7],
        [64, 128, 256],
        [33, 200, 97],
        [257, 64, 512],
      ];
      let seed = 1;
      for (const [rows, d, m] of shapes) {
        const x = randomF32(rows * d, seed++);
        const w = randomF32(m * d, seed++);
        const got = await kernels().denseScores(x, w, rows, d, m);
        assert.ok(got instanceof Float32Array, "float32 in, float32 out");
        assertMatchesReference(got, x, w, rows, d, m);
      }
    });

    test(`${set.name}: denseScores stays right when the shape changes between calls`, { skip }, async () => {
      // [rows, d, m]: sizes that change, and pairs with the same rows·m but another shape (buffer reuse).
      const sequence: Array<[number, number, number]> = [
        [4, 6, 8],
        [1, 6, 8],
        [8, 6, 4],
        [8, 3, 4],
        [2, 9, 16],
        [4, 6, 8],
        [1, 6, 8],
        [1, 1, 32],
      ];
      let seed = 100;
      const results: Float32Array[] = [];
      for (const [rows, d, m] of sequence) {
        const x = randomF32(rows * d, seed++);
        const w = randomF32(m * d, seed++);
        const got = await kernels().denseScores(x, w, rows, d, m);
        assertMatchesReference(got, x, w, rows, d, m);
        results.push(Float32Array.from(got)); // callers keep copies: the kernel may reuse its buffer
      }
      // Same inputs again, in another order: the same products (nothing stale from the calls between).
      seed = 100;
      const inputs = sequence.map(
        ([rows, d, m]) => [randomF32(rows * d, seed++), randomF32(m * d, seed++)] as const,
      );
      for (const i of [7, 3, 0, 2]) {
        const [rows, d, m] = sequence[i]!;
        const [x, w] = inputs[i]!;
        const got = await kernels().denseScores(x, w, rows, d, m);
        assertMatchesReference(got, x, w, rows, d, m);
        assert.equal(got.length, results[i]!.length);
        for (let e = 0; e < got.length; e++) {
          assert.ok(
            Math.abs(got[e]! - results[i]![e]!) <= 1e-5 * (1 + Math.abs(results[i]![e]!)),
            `call ${i}, entry ${e}`,
          );
        }
      }
    });

    test(`${set.name}: denseScores uses only the first rows of a longer X`, { skip }, async () => {
      const rows = 5;
      const d = 12;
      const m = 20;
      const x = randomF32((rows + 7) * d, 200);
      const w = randomF32(m * d, 201);
      const got = await kernels().denseScores(x, w, rows, d, m);
      assertMatchesReference(got, x.subarray(0, rows * d), w, rows, d, m);
    });

    test(`${set.name}: denseScores falls back to the reference product for float64 input`, {
      skip,
    }, async () => {
      const rows = 6;
      const d = 10;
      const m = 14;
      const rng = new Rng(300, 3);
      const x = Float64Array.from({ length: rows * d }, () => rng.normal() + 1e-9);
      const w = Float64Array.from({ length: m * d }, () => rng.normal() - 1e-9);
      const got = await kernels().denseScores(x, w, rows, d, m);
      assert.ok(got instanceof Float64Array, "float64 in, float64 out");
      assert.deepEqual(
        Array.from(got),
        Array.from(referenceDenseScores(x, w, rows, d, m)),
        "bit-exact reference",
      );

      // Mixed precision also takes the reference path (in X's precision).
      const x32 = Float32Array.from(x);
      const mixed = await kernels().denseScores(x32, w, rows, d, m);
      assert.ok(mixed instanceof Float32Array);
      assert.deepEqual(Array.from(mixed), Array.from(referenceDenseScores(x32, w, rows, d, m)));

      // And a float32 call afterwards is still right.
      const w32 = Float32Array.from(w);
      assertMatchesReference(await kernels().denseScores(x32, w32, rows, d, m), x32, w32, rows, d, m);
    });
  });
}
