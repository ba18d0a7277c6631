import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { referenceKernels } from "../../../src/kernels/reference.js";
import { isCosine, learnsAlpha, scoreKinds } from "../../../src/kernels/score-family.js";
import { transposeCodes } from "../../../src/kernels/sparse.js";
import {
  type BackwardBuffers,
  backwardTrainingOnGpu,
  createBackwardBuffers,
  releaseBackwardBuffers,
} from "../../../src/kernels/webgpu/backward.js";
import type { Gpu } from "../../../src/kernels/webgpu/gpu.js";
import { createLatentOrderBuffers, latentOrderOnGpu } from "../../../src/kernels/webgpu/latent-order.js";
import { openNodeGpu } from "../../../src/kernels/webgpu/node-gpu.js";
import { cosineOrigins } from "../../../src/model/config.js";
import { backwardTraining, forwardTraining } from "../../../src/model/loss.js";
import { allocateParams, paramNames, type Sae } from "../../../src/model/sae.js";
import { randomInputs, randomSae } from "../../helpers/random-sae.js";
import { relativeError, uploadBatch, uploadCodes, uploadParams, uploadTerms } from "./device-step.js";

const defaultRows = 16;
const shape = { d: 10, m: 32, k: 3 };
/** Latent 5 wins on every token (a segment of `rows` entries); 7 and 8 never fire. */
const everywhere = 5;
const never = [7, 8];

let gpu: Gpu;
before(async () => {
  gpu = await openNodeGpu({ swiftshader: true });
});
after(() => gpu?.destroy());

function testSae(overrides: Parameters<typeof randomSae>[0]): Sae {
  const sae = randomSae({ ...shape, ...overrides });
  sae.params.bEnc[everywhere] = 10;
  for (const j of never) sae.params.bEnc[j] = -10;
  return sae;
}

async function hostStep(sae: Sae, rows = defaultRows) {
  const x = randomInputs(rows, sae.config.d, 4);
  const dead = new Uint8Array(sae.config.m);
  for (let j = 1; j < sae.config.m; j += 3) dead[j] = 1;
  const fwd = await forwardTraining(sae, x, rows, referenceKernels, {
    reweight: "equalize",
    auxk: { dead, kAux: 2, coef: 1 / 32 },
  });
  const grads = allocateParams(sae.config, Float64Array);
  backwardTraining(sae, fwd, referenceKernels, grads);
  return { fwd, grads };
}

/** Runs backwardTrainingOnGpu on the host step's uploaded arrays; returns every gradient and the counts. */
async function gpuStep(sae: Sae, fwd: Awaited<ReturnType<typeof hostStep>>["fwd"]) {
  const { d, m, score, decode, cosineOf } = sae.config;
  const rows = fwd.pa.rows;
  const codes = uploadCodes(gpu, fwd.codes, "codes");
  const auxCodes = uploadCodes(gpu, fwd.aux!.codes, "aux codes");
  const stepShape = { rows, d, m, nu: sae.constants.nu, eps: sae.config.eps };
  const buffers: BackwardBuffers = createBackwardBuffers(
    gpu,
    stepShape,
    Math.max(codes.capacity, auxCodes.capacity),
  );
  const grads = uploadParams(gpu, allocateParams(sae.config, Float64Array), "grad");
  // Stale values everywhere: the main term must overwrite the rows and zero the small gradients.
  for (const name of paramNames) gpu.write(grads[name], new Float32Array(grads[name].bytes / 4).fill(7));
  const counts = backwardTrainingOnGpu(
    gpu,
    {
      shape: stepShape,
      score,
      equivariant: decode === "equivariant",
      centred: cosineOf === "centred",
      codes,
      upstream: gpu.upload("upstream", Float32Array.from(fwd.upstream)),
      batch: uploadBatch(gpu, fwd.pa),
      params: uploadParams(gpu, sae.params, "param"),
      terms: uploadTerms(gpu, fwd.terms),
      grads,
    },
    { codes: auxCodes, upstream: gpu.upload("aux upstream", Float32Array.from(fwd.aux!.upstream)) },
    buffers,
  );
  const out: Record<string, Float32Array> = {};
  for (const name of paramNames) out[name] = await gpu.readFloat32(grads[name], sae.params[name].length);
  const latentCounts = await gpu.readUint32(counts, m);
  releaseBackwardBuffers(gpu, buffers);
  return { grads: out, latentCounts };
}

const setups = scoreKinds.flatMap((score) =>
  (isCosine(score) ? cosineOrigins : (["centred"] as const)).flatMap((cosineOf) =>
    (["plain", "equivariant"] as const).map((decode) => ({ score, cosineOf, decode })),
  ),
);

for (const { score, cosineOf, decode } of setups) {
  test(`webgpu backward with AuxK matches the float64 reference to 1e-5: ${score}/${decode}/${cosineOf}`, async () => {
    const sae = testSae({ score, decode, cosineOf });
    await assertAgreement(sae, defaultRows);
  });
}

/** The GPU's gradients (with AuxK) against the float64 reference, the entry counts, and the bits of a rerun. */
async function assertAgreement(sae: Sae, rows: number): Promise<void> {
  const { score } = sae.config;
  const { fwd, grads } = await hostStep(sae, rows);
  assert.ok(fwd.aux, "AuxK has dead latents with positive scores");
  const { m } = sae.config;
  const hostCounts = transposeCodes(fwd.codes, m).start;
  const first = await gpuStep(sae, fwd);
  for (let j = 0; j < m; j++)
    assert.equal(first.latentCounts[j], hostCounts[j + 1]! - hostCounts[j]!, `latent ${j}'s entry count`);
  assert.equal(first.latentCounts[everywhere], rows, "one latent fires on every token");
  for (const j of never) assert.equal(first.latentCounts[j], 0, `latent ${j} has no entries`);

  for (const name of paramNames) {
    if (grads[name].length === 0) continue;
    const error = relativeError(first.grads[name]!, grads[name]);
    assert.ok(error <= 1e-5, `∂${name}: relative error ${error.toExponential(2)}`);
  }
  if (!learnsAlpha(score)) assert.equal(grads.alpha.length, 0);

  const again = await gpuStep(sae, fwd);
  for (const name of paramNames)
    assert.deepEqual(
      new Uint32Array(again.grads[name]!.buffer),
      new Uint32Array(first.grads[name]!.buffer),
      `∂${name} has the same bits on a rerun`,
    );
}

test("webgpu backward at d over one workgroup's threads and a segment over one chunk (300 tokens)", async () => {
  await assertAgreement(testSae({ score: "blend-feature", decode: "equivariant", d: 70 }), 300);
});

test("webgpu latent order equals transposeCodes: each latent's entries in token order", async () => {
  const sae = testSae({ score: "cosine" });
  const { fwd } = await hostStep(sae);
  const { m } = sae.config;
  const codes = uploadCodes(gpu, fwd.codes, "codes");
  const order = createLatentOrderBuffers(gpu, m, codes.capacity);
  const counts = gpu.createBuffer("counts", m * 4);
  latentOrderOnGpu(gpu, codes, m, order, counts);
  const got = await gpu.readUint32(order.order, m + 1 + codes.capacity);
  const want = transposeCodes(fwd.codes, m);
  assert.deepEqual([...got.subarray(0, m + 1)], [...want.start]);
  assert.deepEqual([...got.subarray(m + 1)], [...want.entry]);
});
