import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { referenceKernels as kernels } from "../../../src/kernels/reference.js";
import { centredSumOfSquares, residualUpstream } from "../../../src/kernels/residual.js";
import { isCosine, scoreKinds } from "../../../src/kernels/score-family.js";
import { centreOnGpu } from "../../../src/kernels/webgpu/centre.js";
import { decodeOnGpu } from "../../../src/kernels/webgpu/decode.js";
import type { Gpu, GpuBuffer } from "../../../src/kernels/webgpu/gpu.js";
import { latentTermsOnGpu } from "../../../src/kernels/webgpu/latent-terms.js";
import { openNodeGpu } from "../../../src/kernels/webgpu/node-gpu.js";
import { centredSumOfSquaresOnGpu, residualUpstreamOnGpu } from "../../../src/kernels/webgpu/residual.js";
import {
  stepScalarCount,
  stepScalarSlot,
  stepScalarsOnGpu,
} from "../../../src/kernels/webgpu/step-scalars.js";
import { tokenWeightsOnGpu } from "../../../src/kernels/webgpu/token-weights.js";
import { cosineOrigins } from "../../../src/model/config.js";
import { centre, decode, encodeTraining, latentTerms, scoreOrigin } from "../../../src/model/forward.js";
import { tokenWeights } from "../../../src/model/loss.js";
import { Rng } from "../../../src/util/rng.js";
import { randomInputs } from "../../helpers/random-sae.js";
import {
  assertClose,
  createTerms,
  float32Codes,
  float32Sae,
  float32Values,
  uploadCodes,
  uploadFloat32,
  uploadParams,
} from "./forward-fixtures.js";

/**
 * Each forward kernel of a training step on the device (SwiftShader) against its
 * float64 host reference, on inputs that are exactly float32: 1e-5 relative.
 */
let gpu: Gpu;
before(async () => {
  gpu = await openNodeGpu({ swiftshader: true });
});
after(() => gpu.destroy());

const rows = 24;
const shapeOf = { d: 20, m: 48, k: 4 };

function randomValues(n: number, seed: number, shift = 0): Float64Array {
  const rng = new Rng(seed, 5);
  return Float64Array.from({ length: n }, () => Math.fround(rng.normal() + shift));
}

async function readAll(buffer: GpuBuffer, n: number): Promise<Float32Array> {
  return gpu.readFloat32(buffer, n);
}

for (const score of scoreKinds) {
  test(`latent terms match latentTerms: ${score}`, async () => {
    const sae = float32Sae({ ...shapeOf, score });
    const { m, d } = sae.config;
    const want = latentTerms(sae);
    const params = uploadParams(gpu, sae);
    const terms = createTerms(gpu, m);
    latentTermsOnGpu(gpu, params, score, m, d, terms, true);
    assertClose(await readAll(terms.encoderNorm, m), want.encoderNorm, "‖w_j‖");
    assertClose(await readAll(terms.gain, m), want.gain, "g_j");
    assert.deepEqual(Array.from(await readAll(terms.alpha, m)), Array.from(want.alpha), "α_j exactly");

    // Without computeNorms the cosine family keeps the norms the trainer wrote; inner's are 1.
    gpu.write(terms.encoderNorm, new Float32Array(m).fill(7));
    latentTermsOnGpu(gpu, params, score, m, d, terms, false);
    const kept = await readAll(terms.encoderNorm, m);
    assert.ok(
      kept.every((v) => v === (isCosine(score) ? 7 : 1)),
      "norms left alone (cosine) or 1 (inner)",
    );
  });
}

for (const cosineOf of cosineOrigins) {
  test(`centre matches centre: ${cosineOf}`, async () => {
    const sae = float32Sae({ ...shapeOf, score: "cosine", cosineOf });
    const { d } = sae.config;
    const x = float32Values(randomInputs(rows, d, 3));
    const want = centre(sae, x, rows);
    const batch = {
      rows,
      xs: gpu.createBuffer("x̃", rows * d * 4),
      xc: gpu.createBuffer("x_c", rows * d * 4),
      norm: gpu.createBuffer("n", rows * 4),
    };
    const shape = { rows, d };
    centreOnGpu(
      gpu,
      uploadFloat32(gpu, "x", x),
      1 / sae.constants.scale,
      uploadFloat32(gpu, "origin", scoreOrigin(sae)),
      shape,
      batch,
    );
    const xs = await readAll(batch.xs, rows * d);
    const xc = await readAll(batch.xc, rows * d);
    assertClose(xs, want.xs, "x̃");
    assertClose(xc, want.xc, "x_c");
    assertClose(await readAll(batch.norm, rows), want.norm, "n");
    if (cosineOf === "uncentred") assert.deepEqual(xc, xs, "x_c is x̃ bit for bit");
  });
}

for (const score of scoreKinds) {
  for (const decoding of ["plain", "equivariant"] as const) {
    test(`decode matches decode: ${score}/${decoding}, with and without b_dec`, async () => {
      const sae = float32Sae({ ...shapeOf, score, decode: decoding });
      const { d, m } = sae.config;
      const x = float32Values(randomInputs(rows, d, 4));
      const terms = latentTerms(sae);
      const { pa, codes: hostCodes } = await encodeTraining(sae, x, rows, kernels, terms);
      const codes = float32Codes(hostCodes);
      const norm = float32Values(pa.norm);
      const params = uploadParams(gpu, sae);
      const alpha = uploadFloat32(gpu, "α", terms.alpha);
      const deviceCodes = uploadCodes(gpu, codes);
      const deviceNorm = uploadFloat32(gpu, "n", norm);
      const shape = { rows, d, nu: sae.constants.nu };
      const equivariant = decoding === "equivariant";
      for (const withBias of [true, false]) {
        const out = gpu.createBuffer("x̂", rows * d * 4);
        decodeOnGpu(
          gpu,
          deviceCodes,
          params.decoder,
          alpha,
          deviceNorm,
          shape,
          equivariant,
          withBias ? params.bDec : null,
          out,
        );
        const want = decode(sae, terms, codes, norm, kernels, withBias);
        assertClose(await readAll(out, rows * d), want, `x̂ ${withBias ? "with" : "without"} b_dec`);
      }
      assert.equal(m, shapeOf.m);
    });
  }
}

for (const reweight of ["none", "equalize"] as const) {
  test(`token weights match tokenWeights: ${reweight}`, async () => {
    const d = shapeOf.d;
    const xs = randomValues(rows * d, 6, 0.3);
    for (let c = 0; c < d; c++) xs[3 * d + c] = 0; // a zero row: ω's floor 1e-12
    const out = gpu.createBuffer("ω", rows * 4);
    tokenWeightsOnGpu(gpu, uploadFloat32(gpu, "x̃", xs), { rows, d }, reweight, out);
    const got = await readAll(out, rows);
    const want = tokenWeights(xs, rows, d, reweight);
    if (reweight === "none")
      assert.ok(
        got.every((v) => v === 1),
        "ω = 1",
      );
    assertClose(got, want, "ω");
  });
}

test("residual and upstream match residualUpstream: a host coefficient with ω, a device one without", async () => {
  const d = shapeOf.d;
  const shape = { rows, d };
  const target = randomValues(rows * d, 7, 0.5);
  const estimate = randomValues(rows * d, 8);
  const omega = tokenWeights(target, rows, d, "equalize");
  const scalars = gpu.createBuffer("step scalars", stepScalarCount * 4);
  const slot = stepScalarSlot.auxDenominator;
  const cases = [
    { what: "host coefficient, weighted", weighted: true, denominator: null, factor: -2 / rows },
    { what: "device denominator", weighted: false, denominator: 3.5, factor: -2 / 32 },
    { what: "device denominator 0", weighted: false, denominator: 0, factor: -2 / 32 },
    { what: "device denominator < 0", weighted: false, denominator: -1, factor: -2 / 32 },
  ];
  for (const { what, weighted, denominator, factor } of cases) {
    const weight = weighted ? float32Values(omega) : new Float64Array(rows).fill(1);
    const e = gpu.upload("estimate", Float32Array.from(estimate));
    const upstream = gpu.createBuffer("upstream", rows * d * 4);
    const tokenSse = gpu.createBuffer("token sse", rows * 4);
    if (denominator !== null) gpu.write(scalars, Float32Array.of(denominator), slot * 4);
    residualUpstreamOnGpu(
      gpu,
      uploadFloat32(gpu, "target", target),
      e,
      weighted ? uploadFloat32(gpu, "ω", weight) : null,
      shape,
      denominator === null ? { factor } : { factor, over: { scalars, slot } },
      upstream,
      tokenSse,
    );
    const wantResidual = estimate.slice();
    const wantUpstream = new Float64Array(rows * d);
    const wantSse = new Float64Array(rows);
    const coef = denominator === null ? factor : denominator > 0 ? factor / denominator : 0;
    residualUpstream(target, wantResidual, weight, rows, d, coef, wantUpstream, wantSse);
    assertClose(await readAll(e, rows * d), wantResidual, `${what}: e`);
    assertClose(await readAll(tokenSse, rows), wantSse, `${what}: Σ e²`);
    const got = await readAll(upstream, rows * d);
    if (coef === 0)
      assert.ok(
        got.every((v) => v === 0),
        `${what}: no AuxK term, upstream 0`,
      );
    else assertClose(got, wantUpstream, `${what}: upstream`);
  }
});

test("centredSumOfSquares matches the reference, over several row chunks", async () => {
  for (const [n, d] of [
    [24, 20],
    [150, 7],
  ] as const) {
    const v = randomValues(n * d, 9, 2);
    const scalars = gpu.createBuffer("step scalars", stepScalarCount * 4);
    centredSumOfSquaresOnGpu(
      gpu,
      uploadFloat32(gpu, "v", v),
      { rows: n, d },
      scalars,
      stepScalarSlot.fvuDenominator,
    );
    const got = (await readAll(scalars, stepScalarCount))[stepScalarSlot.fvuDenominator]!;
    assertClose([got], [centredSumOfSquares(v, n, d)], `Σ‖v − v̄‖² of [${n}, ${d}]`);
  }
});

test("step scalars: mse, AuxK's loss (0 when its denominator is not > 0), fvu, the kept count and smallest value", async () => {
  const tokenSse = randomValues(rows, 10).map(Math.abs);
  const auxSse = randomValues(rows, 11).map(Math.abs);
  const omega = float32Values(tokenWeights(randomValues(rows * 5, 12, 1), rows, 5, "equalize"));
  const rowStart = Int32Array.from({ length: rows + 1 }, (_, t) => 3 * t - (t > 5 ? 1 : 0));
  const count = rowStart[rows]!;
  const codes = uploadCodes(gpu, {
    rows,
    rowStart,
    index: new Int32Array(count),
    value: randomValues(count, 13, 3).map(Math.abs),
  });
  const values = await readAll(codes.value, count);
  const lambda = 1 / 32;
  for (const auxDenominator of [null, 2.5, 0]) {
    const scalars = gpu.createBuffer("step scalars", stepScalarCount * 4);
    gpu.write(scalars, Float32Array.of(4.25), stepScalarSlot.fvuDenominator * 4);
    if (auxDenominator !== null)
      gpu.write(scalars, Float32Array.of(auxDenominator), stepScalarSlot.auxDenominator * 4);
    const aux =
      auxDenominator === null ? null : { tokenSse: uploadFloat32(gpu, "aux sse", auxSse), coef: lambda };
    stepScalarsOnGpu(
      gpu,
      { tokenSse: uploadFloat32(gpu, "sse", tokenSse), omega: uploadFloat32(gpu, "ω", omega), codes, aux },
      rows,
      scalars,
    );
    const got = await readAll(scalars, stepScalarCount);
    let sse = 0;
    let mse = 0;
    let auxTotal = 0;
    for (let t = 0; t < rows; t++) {
      sse += tokenSse[t]!;
      mse += omega[t]! * tokenSse[t]!;
      auxTotal += auxSse[t]!;
    }
    mse /= rows;
    const auxLoss = auxDenominator !== null && auxDenominator > 0 ? (lambda * auxTotal) / auxDenominator : 0;
    const what = `AuxK denominator ${auxDenominator}`;
    assertClose([got[stepScalarSlot.mse]!], [mse], `${what}: mse`);
    assertClose([got[stepScalarSlot.auxLoss]!], [auxLoss], `${what}: aux loss`);
    assertClose([got[stepScalarSlot.loss]!], [mse + auxLoss], `${what}: loss`);
    assertClose([got[stepScalarSlot.fvu]!], [sse / 4.25], `${what}: fvu`);
    assertClose([got[stepScalarSlot.sse]!], [sse], `${what}: Σ e²`);
    assert.equal(got[stepScalarSlot.kept], count, `${what}: kept`);
    assert.equal(got[stepScalarSlot.minKept], Math.min(...values), `${what}: smallest kept value`);
    if (auxDenominator === 0) assert.equal(got[stepScalarSlot.auxLoss], 0, "no AuxK term at denominator 0");
  }
});
