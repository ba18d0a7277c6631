import assert from "node:assert/strict";
import { test } from "node:test";
import { adamMoments } from "../../src/kernels/adam.js";
import type { SparseRows } from "../../src/kernels/arrays.js";
import type { EntryTerms } from "../../src/kernels/entry-terms.js";
import type { Kernels } from "../../src/kernels/kernels.js";
import { createNativeKernels } from "../../src/kernels/native.js";
import { loadNativeAddon } from "../../src/kernels/native-addon.js";
import { referenceKernels as ref } from "../../src/kernels/reference.js";
import type { ScoreSpec } from "../../src/kernels/score-transform.js";
import { Rng } from "../../src/util/rng.js";
import { requirePart, skipWhenMissing } from "../helpers/optional-part.js";

/** Each native kernel against the reference kernel it replaces. Skips only when the addon is not built (never under CI=true). */
const { kernels: native, reason } = createNativeKernels(2);
const skip = skipWhenMissing("native addon", native ? null : reason);
function nat(): Kernels {
  return requirePart("native addon", native, reason);
}

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

test("native dense scores match the float64 product", { skip }, async () => {
  const [rows, d, m] = [37, 50, 129];
  const x = random(rows * d, 1);
  const w = random(m * d, 2);
  const got = await nat().denseScores(x, w, rows, d, m);
  const want = ref.denseScores(Float64Array.from(x), Float64Array.from(w), rows, d, m);
  assertClose(got, await want, 1e-5, "scores");
});

test("native huge-page advice covers whole 2 MiB pages inside the array only", { skip }, () => {
  const loaded = loadNativeAddon();
  const addon = requirePart("native addon", loaded.addon, loaded.reason);
  const a = new Float32Array(3 << 20); // 12 MiB, not yet written
  const advised = addon.adviseHugePages(a);
  assert.equal(advised % (2 << 20), 0);
  assert.ok(advised <= a.byteLength);
  a[a.length - 1] = 1;
  assert.equal(a[0], 0);
  assert.equal(a[a.length - 1], 1);
  assert.equal(addon.adviseHugePages(new Float32Array(16)), 0);
  assert.throws(() => addon.adviseHugePages([1, 2] as unknown as Float32Array), /typed array/);
});

test("native score transform matches the reference for every score (1e-5 relative)", { skip }, () => {
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
    nat().applyScore(got, rows, m, spec);
    assertClose(got, want, 1e-5, score);
    // Fused transform + BatchTopK selects what the reference selects from the same values.
    const fused = a.slice();
    const codes = nat().applyScoreSelectBatchTopK(fused, rows, m, spec, rows * 5);
    assert.deepEqual(fused, got, `${score}: the fused pass leaves the same pre-activations`);
    assertSameCodes(codes, ref.selectBatchTopK(got, rows, m, rows * 5), `${score} fused selection`);
  }
});

test("native selections equal the reference exactly, ties included", { skip }, () => {
  const [rows, m] = [64, 500];
  const p = random(rows * m, 9, -1);
  // Ties at the cut: quantise so many values are equal.
  const tied = p.map((v) => Math.round(v * 4) / 4);
  for (const values of [p, tied]) {
    for (const count of [1, rows, rows * 8, rows * m]) {
      assertSameCodes(
        nat().selectBatchTopK(values, rows, m, count),
        ref.selectBatchTopK(values, rows, m, count),
        `batchtopk ${count}`,
      );
    }
    for (const k of [1, 7, 600]) {
      assertSameCodes(nat().selectTopK(values, rows, m, k), ref.selectTopK(values, rows, m, k), `topk ${k}`);
    }
    const columns = Int32Array.from({ length: 120 }, (_, i) => i * 4 + 1);
    assertSameCodes(
      nat().selectTopKAmong(values, rows, m, columns, 9),
      ref.selectTopKAmong(values, rows, m, columns, 9),
      "topk among",
    );
    const threshold = Float64Array.from({ length: m }, (_, j) => 0.5 + (j % 7) * 0.1);
    assertSameCodes(
      nat().selectAboveThreshold(values, rows, m, threshold),
      ref.selectAboveThreshold(values, rows, m, threshold),
      "above threshold",
    );
  }
});

test("native sparse decode and accumulate match the reference", { skip }, () => {
  const [rows, m, d] = [50, 80, 33];
  const p = random(rows * m, 11);
  const codes = ref.selectBatchTopK(p, rows, m, rows * 6);
  const w = random(m * d, 12);
  const x = random(rows * d, 13);
  const out = [random(rows * d, 14), random(rows * d, 14)] as const;
  nat().sparseDecode(codes, w, d, out[0]);
  ref.sparseDecode(codes, w, d, out[1]);
  assertClose(out[0], out[1], 1e-6, "decode");
  const acc = [random(m * d, 15), random(m * d, 15)] as const;
  nat().sparseAccumulate(codes, x, d, acc[0]);
  ref.sparseAccumulate(codes, x, d, acc[1]);
  assertClose(acc[0], acc[1], 1e-6, "accumulate");
});

test("native latent-ordered backward and loss passes match the reference", { skip }, () => {
  const [rows, m, d] = [50, 80, 37];
  const codes = ref.selectBatchTopK(random(rows * m, 21), rows, m, rows * 6);
  const n = codes.rowStart[rows]!;
  const order = nat().transposeCodes(codes, m);
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
    nat().latentBackward(order, { ...shared, ...outs[0]! }, d, overwrite);
    ref.latentBackward(want, { ...shared, ...outs[1]! }, d, overwrite);
    for (const key of ["gradDecoder", "gradEncoder", "upstreamDot", "encoderDot"] as const)
      assertClose(outs[0]![key], outs[1]![key], 1e-6, `latent backward ${key} (overwrite ${overwrite})`);
  }
  const sums = [new Float64Array(d), new Float64Array(d)] as const;
  const coef = Float64Array.from(random(rows, 30), (v) => Math.max(v, 0));
  nat().weightedRowSum(shared.xc, coef, rows, d, sums[0]);
  ref.weightedRowSum(shared.xc, coef, rows, d, sums[1]);
  assertClose(sums[0], sums[1], 1e-12, "weighted row sum");
  const estimates = [random(rows * d, 31), random(rows * d, 31)] as const;
  const upstreams = [new Float32Array(rows * d), new Float32Array(rows * d)] as const;
  const sse = [new Float64Array(rows), new Float64Array(rows)] as const;
  const weight = Float64Array.from(random(rows, 32), Math.abs);
  nat().residualUpstream(shared.xc, estimates[0], weight, rows, d, -0.25, upstreams[0], sse[0]);
  ref.residualUpstream(shared.xc, estimates[1], weight, rows, d, -0.25, upstreams[1], sse[1]);
  assert.deepEqual(Array.from(estimates[0]), Array.from(estimates[1]), "residual");
  assert.deepEqual(Array.from(upstreams[0]), Array.from(upstreams[1]), "upstream");
  assert.deepEqual(Array.from(sse[0]), Array.from(sse[1]), "token sse");
  const css = nat().centredSumOfSquares(shared.xc, rows, d);
  assert.ok(
    Math.abs(css - ref.centredSumOfSquares(shared.xc, rows, d)) <= 1e-12 * css,
    "centred sum of squares",
  );
});

test("native Adam is bit-identical to adam.ts; norms and the decoder constraint match", { skip }, () => {
  const [m, d] = [70, 40];
  const param = [random(m * d, 20), random(m * d, 20)] as const;
  const moments = [adamMoments(m * d), adamMoments(m * d)] as const;
  for (let t = 1; t <= 3; t++) {
    const grad = random(m * d, 20 + t);
    nat().adamUpdate(param[0], grad, moments[0], t, 1e-3);
    ref.adamUpdate(param[1], grad, moments[1], t, 1e-3);
  }
  assert.deepEqual(param[0], param[1]);
  assert.deepEqual(moments[0], moments[1]);
  assertClose(nat().rowNorms(param[0], m, d), ref.rowNorms(param[0], m, d), 1e-12, "row norms");
  const decoder = [param[0].slice(), param[0].slice()] as const;
  nat().normaliseRows(decoder[0], d);
  ref.normaliseRows(decoder[1], d);
  assertClose(decoder[0], decoder[1], 1e-6, "normalise");
  const grad = [random(m * d, 30), random(m * d, 30)] as const;
  nat().projectToTangent(decoder[1], grad[0], d);
  ref.projectToTangent(decoder[1], grad[1], d);
  assertClose(grad[0], grad[1], 1e-6, "tangent");
});

test("the latent backward gives the same bits in latent blocks as latent by latent", { skip }, () => {
  // Many entries per token take the blocked path; spreading the same tokens over
  // ten times as many rows (the others empty) takes the latent-by-latent one.
  const [rows, m, d, spread] = [60, 90, 40, 10];
  const dense = ref.selectTopK(random(rows * m, 80, 0.3), rows, m, 12);
  const rowStart = new Int32Array(rows * spread + 1);
  for (let t = 0; t < rows * spread; t++) rowStart[t + 1] = dense.rowStart[Math.floor(t / spread) + 1]!;
  for (let t = 0; t < rows; t++) rowStart[t * spread] = dense.rowStart[t]!;
  const sparse = { ...dense, rows: rows * spread, rowStart };
  const n = dense.rowStart[rows]!;
  const upstream = random(rows * d, 81);
  const xc = random(rows * d, 82);
  const spreadRows = (a: Float32Array) => {
    const out = new Float32Array(rows * spread * d);
    for (let t = 0; t < rows; t++) out.set(a.subarray(t * d, (t + 1) * d), t * spread * d);
    return out;
  };
  const shared = {
    decoder: random(m * d, 83),
    decoderCoef: random(n, 84),
    encoder: random(m * d, 85),
    encoderScale: Float64Array.from(random(n, 86)),
  };
  const run = (codes: SparseRows, g: Float32Array, x: Float32Array) => {
    const out = {
      gradDecoder: random(m * d, 87),
      gradEncoder: random(m * d, 88),
      upstreamDot: new Float64Array(n),
      encoderDot: new Float64Array(n),
    };
    nat().latentBackward(nat().transposeCodes(codes, m), { ...shared, upstream: g, xc: x, ...out }, d, false);
    return out;
  };
  assert.deepEqual(run(dense, upstream, xc), run(sparse, spreadRows(upstream), spreadRows(xc)));
});

test("the fused decoder step is bit-identical to projection, Adam and renormalisation in turn", {
  skip,
}, () => {
  const [m, d] = [600, 40]; // enough rows for every thread to get a piece
  const decoder = [random(m * d, 40), random(m * d, 40), random(m * d, 40)] as const;
  for (const r of decoder) nat().normaliseRows(r, d);
  const moments = [adamMoments(m * d), adamMoments(m * d), adamMoments(m * d)] as const;
  for (let t = 1; t <= 3; t++) {
    const grad = random(m * d, 40 + t);
    for (let j = 0; j < d; j++) grad[5 * d + j] = 0; // a row with no gradient takes Adam with g = 0
    const kept = grad.slice();
    nat().adamUpdateOnSphere(decoder[0], grad, moments[0], t, 1e-3, d);
    assert.deepEqual(grad, kept, "the fused step leaves ∂W_dec as it was");
    nat().projectToTangent(decoder[1], grad, d);
    nat().adamUpdate(decoder[1], grad, moments[1], t, 1e-3);
    nat().normaliseRows(decoder[1], d);
    ref.adamUpdateOnSphere(decoder[2], kept, moments[2], t, 1e-3, d);
  }
  assert.deepEqual(decoder[0], decoder[1]);
  assert.deepEqual(moments[0], moments[1]);
  assertClose(decoder[0], decoder[2], 1e-6, "fused step vs the TypeScript passes");
});

test("the encoder step with row norms is bit-identical to Adam then rowNorms", { skip }, () => {
  const [m, d] = [600, 40]; // enough rows for every thread to get a piece
  const param = [random(m * d, 60), random(m * d, 60), random(m * d, 60)] as const;
  const moments = [adamMoments(m * d), adamMoments(m * d), adamMoments(m * d)] as const;
  for (let t = 1; t <= 3; t++) {
    const grad = random(m * d, 61 + t);
    const norms = nat().adamUpdateRowNorms(param[0], grad, moments[0], t, 1e-3, d);
    nat().adamUpdate(param[1], grad, moments[1], t, 1e-3);
    assert.deepEqual(norms, nat().rowNorms(param[1], m, d));
    assert.deepEqual(param[0], param[1]);
    assert.deepEqual(moments[0], moments[1]);
    const want = ref.adamUpdateRowNorms(param[2], grad, moments[2], t, 1e-3, d);
    assert.deepEqual(want, ref.rowNorms(param[2], m, d));
    assertClose(norms, want, 1e-6, "fused step vs the TypeScript passes");
  }
});

test("native centring is bit-identical to the TypeScript pass", { skip }, () => {
  const [rows, d] = [300, 70];
  const x = random(rows * d, 50, 3);
  const bDec = random(d, 51);
  const out = () => ({
    xs: new Float32Array(rows * d),
    xc: new Float32Array(rows * d),
    norm: new Float64Array(rows),
  });
  const [got, want] = [out(), out()];
  nat().centre(x, 1 / 1.7, bDec, rows, d, got.xs, got.xc, got.norm);
  ref.centre(x, 1 / 1.7, bDec, rows, d, want.xs, want.xc, want.norm);
  assert.deepEqual(got, want);
});

test("native per-entry backward terms are bit-identical to entry-terms.ts for every score and decoding", {
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
      assert.deepEqual(run(nat()), run(ref), `${score}${equivariant ? ", equivariant" : ""}`);
    }
  }
});

test("native kernels reject arrays that are too short instead of reading past them", { skip }, () => {
  assert.throws(() => nat().selectTopK(new Float32Array(10), 4, 4, 1), /too short/);
});
