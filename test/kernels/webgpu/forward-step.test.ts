import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { SparseRows } from "../../../src/kernels/arrays.js";
import { referenceKernels as kernels } from "../../../src/kernels/reference.js";
import { isCosine, scoreKinds } from "../../../src/kernels/score-family.js";
import { centreOnGpu } from "../../../src/kernels/webgpu/centre.js";
import { decodeOnGpu } from "../../../src/kernels/webgpu/decode.js";
import type { Gpu } from "../../../src/kernels/webgpu/gpu.js";
import { latentTermsOnGpu } from "../../../src/kernels/webgpu/latent-terms.js";
import { openNodeGpu } from "../../../src/kernels/webgpu/node-gpu.js";
import { centredSumOfSquaresOnGpu, residualUpstreamOnGpu } from "../../../src/kernels/webgpu/residual.js";
import {
  stepScalarCount,
  stepScalarSlot,
  stepScalarsOnGpu,
} from "../../../src/kernels/webgpu/step-scalars.js";
import { tokenWeightsOnGpu } from "../../../src/kernels/webgpu/token-weights.js";
import { type CosineOrigin, cosineOrigins } from "../../../src/model/config.js";
import { forwardTraining, type LossOptions } from "../../../src/model/loss.js";
import type { Sae } from "../../../src/model/sae.js";
import { randomInputs } from "../../helpers/random-sae.js";
import {
  assertClose,
  createTerms,
  float32Sae,
  float32Values,
  uploadCodes,
  uploadFloat32,
  uploadParams,
} from "./forward-fixtures.js";

/**
 * The forward kernels chained as a training step chains them, given the host's codes
 * (the score GEMM and the selections are other files' work), against the float64
 * forwardTraining: loss, mse, AuxK's loss, fvu and both upstream gradients to 1e-5,
 * for every score × cosineOf × decoding × reweight, with dead latents for AuxK.
 */
let gpu: Gpu;
before(async () => {
  gpu = await openNodeGpu({ swiftshader: true });
});
after(() => gpu.destroy());

interface DeviceForward {
  scalars: Float32Array;
  residual: Float32Array;
  upstream: Float32Array;
  auxUpstream: Float32Array | null;
}

/** The device's forward of one step, from the raw batch and the host's codes (AuxK's if given). */
async function deviceForward(
  sae: Sae,
  x: Float64Array,
  rows: number,
  codes: SparseRows,
  auxCodes: SparseRows | null,
  options: LossOptions,
): Promise<DeviceForward> {
  const { d, m, score } = sae.config;
  const shape = { rows, d, m, nu: sae.constants.nu, eps: sae.config.eps };
  const equivariant = sae.config.decode === "equivariant";
  const params = uploadParams(gpu, sae);
  const terms = createTerms(gpu, m);
  latentTermsOnGpu(gpu, params, score, m, d, terms, true);
  const batch = {
    rows,
    xs: gpu.createBuffer("x̃", rows * d * 4),
    xc: gpu.createBuffer("x_c", rows * d * 4),
    norm: gpu.createBuffer("n", rows * 4),
  };
  const origin = sae.config.cosineOf === "uncentred" ? gpu.createBuffer("0", d * 4) : params.bDec;
  centreOnGpu(gpu, uploadFloat32(gpu, "x", x), 1 / sae.constants.scale, origin, shape, batch);
  const scalars = gpu.createBuffer("step scalars", stepScalarCount * 4);
  const deviceCodes = uploadCodes(gpu, codes);
  // x̂, then e = x̃ − x̂ in its place with G = −(2/B) ω e
  const residual = gpu.createBuffer("x̂ → e", rows * d * 4);
  decodeOnGpu(
    gpu,
    deviceCodes,
    params.decoder,
    terms.alpha,
    batch.norm,
    shape,
    equivariant,
    params.bDec,
    residual,
  );
  const omega = gpu.createBuffer("ω", rows * 4);
  tokenWeightsOnGpu(gpu, batch.xs, shape, options.reweight, omega);
  const upstream = gpu.createBuffer("G", rows * d * 4);
  const tokenSse = gpu.createBuffer("Σe²", rows * 4);
  residualUpstreamOnGpu(gpu, batch.xs, residual, omega, shape, { factor: -2 / rows }, upstream, tokenSse);
  let aux: { upstream: typeof upstream; tokenSse: typeof tokenSse; coef: number } | null = null;
  if (auxCodes && options.auxk) {
    // ê without b_dec, then e − ê in its place with G_aux = −2λ (e − ê) / Σ‖e − ē‖²
    centredSumOfSquaresOnGpu(gpu, residual, shape, scalars, stepScalarSlot.auxDenominator);
    const ehat = gpu.createBuffer("ê → e − ê", rows * d * 4);
    const auxDevice = uploadCodes(gpu, auxCodes, "AuxK codes");
    decodeOnGpu(gpu, auxDevice, params.decoder, terms.alpha, batch.norm, shape, equivariant, null, ehat);
    aux = {
      upstream: gpu.createBuffer("G_aux", rows * d * 4),
      tokenSse: gpu.createBuffer("Σ(e − ê)²", rows * 4),
      coef: options.auxk.coef,
    };
    const over = { scalars, slot: stepScalarSlot.auxDenominator };
    residualUpstreamOnGpu(
      gpu,
      residual,
      ehat,
      null,
      shape,
      { factor: -2 * aux.coef, over },
      aux.upstream,
      aux.tokenSse,
    );
  }
  centredSumOfSquaresOnGpu(gpu, batch.xs, shape, scalars, stepScalarSlot.fvuDenominator);
  stepScalarsOnGpu(gpu, { tokenSse, omega, codes: deviceCodes, aux }, rows, scalars);
  return {
    scalars: await gpu.readFloat32(scalars, stepScalarCount),
    residual: await gpu.readFloat32(residual, rows * d),
    upstream: await gpu.readFloat32(upstream, rows * d),
    auxUpstream: aux ? await gpu.readFloat32(aux.upstream, rows * d) : null,
  };
}

const rows = 24;
const shapeOf = { d: 20, m: 48, k: 4 };

/** Every score with each vector its cosine may look at (inner has only x_c). */
const scoreSetups = scoreKinds.flatMap((score) =>
  (isCosine(score) ? cosineOrigins : (["centred"] as const)).map((cosineOf: CosineOrigin) => ({
    score,
    cosineOf,
  })),
);

function deadMask(m: number): Uint8Array {
  const dead = new Uint8Array(m);
  for (let j = 0; j < m; j += 3) dead[j] = 1;
  return dead;
}

for (const { score, cosineOf } of scoreSetups) {
  for (const decoding of ["plain", "equivariant"] as const) {
    for (const reweight of ["none", "equalize"] as const) {
      const label = `${cosineOf === "uncentred" ? "uncentred " : ""}${score}/${decoding}/${reweight}`;
      test(`the device forward matches forwardTraining with AuxK: ${label}`, async () => {
        const sae = float32Sae({ ...shapeOf, score, cosineOf, decode: decoding });
        const x = float32Values(randomInputs(rows, sae.config.d, 11));
        const options: LossOptions = {
          reweight,
          auxk: { dead: deadMask(sae.config.m), kAux: 3, coef: 1 / 32 },
        };
        const want = await forwardTraining(sae, x, rows, kernels, options);
        assert.ok(want.aux, "some dead latent scores positive on this batch");
        const got = await deviceForward(sae, x, rows, want.codes, want.aux.codes, options);
        const s = got.scalars;
        assertClose([s[stepScalarSlot.loss]!], [want.loss], "loss");
        assertClose([s[stepScalarSlot.mse]!], [want.mse], "mse");
        assertClose([s[stepScalarSlot.auxLoss]!], [want.aux.loss], "AuxK loss");
        assertClose([s[stepScalarSlot.fvu]!], [want.fvu], "fvu");
        assert.equal(s[stepScalarSlot.kept], want.codes.rowStart[rows], "kept count");
        assert.equal(s[stepScalarSlot.minKept], Math.fround(want.minKept), "smallest kept value");
        assertClose(got.residual, want.residual, "e");
        assertClose(got.upstream, want.upstream, "G");
        assertClose(got.auxUpstream!, want.aux.upstream, "G_aux");
      });
    }
  }
}

test("the device forward gives the same bits on a rerun", async () => {
  const sae = float32Sae({ d: 32, m: 128, k: 8, score: "blend-feature", decode: "equivariant" }, 3);
  const n = 64;
  const x = float32Values(randomInputs(n, sae.config.d, 12));
  const options: LossOptions = {
    reweight: "equalize",
    auxk: { dead: deadMask(sae.config.m), kAux: 4, coef: 1 / 32 },
  };
  const host = await forwardTraining(sae, x, n, kernels, options);
  assert.ok(host.aux, "AuxK is active");
  const first = await deviceForward(sae, x, n, host.codes, host.aux.codes, options);
  const second = await deviceForward(sae, x, n, host.codes, host.aux.codes, options);
  for (const key of ["scalars", "residual", "upstream", "auxUpstream"] as const) {
    assert.deepEqual(
      new Uint32Array(second[key]!.buffer),
      new Uint32Array(first[key]!.buffer),
      `${key}: identical bits`,
    );
  }
  assertClose([first.scalars[stepScalarSlot.loss]!], [host.loss], "and the loss agrees");
});
