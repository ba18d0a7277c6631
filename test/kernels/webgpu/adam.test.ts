import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { adamMoments, adamUpdate } from "../../../src/kernels/adam.js";
import {
  adamUpdateOnSphere,
  normaliseRows,
  projectToTangent,
} from "../../../src/kernels/decoder-constraint.js";
import { rowNorms } from "../../../src/kernels/sparse.js";
import {
  adamOnGpu,
  adamOnSphereOnGpu,
  adamRowNormsOnGpu,
  clampAlphaOnGpu,
} from "../../../src/kernels/webgpu/adam.js";
import { clipGradNormOnGpu, createClipScratch } from "../../../src/kernels/webgpu/clip-grad-norm.js";
import { normaliseRowsOnGpu, projectToTangentOnGpu } from "../../../src/kernels/webgpu/decoder-constraint.js";
import type { Gpu, GpuBuffer } from "../../../src/kernels/webgpu/gpu.js";
import { openNodeGpu } from "../../../src/kernels/webgpu/node-gpu.js";
import { Rng } from "../../../src/util/rng.js";
import { relativeError } from "./device-step.js";

const m = 24;
/** 12, and 70: over the 64 threads of a row's workgroup, so a thread sums several columns */
const widths = [12, 70];
const lr = 3e-3;

let gpu: Gpu;
before(async () => {
  gpu = await openNodeGpu({ swiftshader: true });
});
after(() => gpu?.destroy());

function normals(n: number, seed: number, scale = 1): Float32Array {
  const rng = new Rng(seed, 5);
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

/** A parameter with moments as after a few steps (second moments positive). */
function adamState(n: number, seed: number) {
  const moments = adamMoments(n);
  moments.first.set(normals(n, seed + 1, 0.01));
  moments.second.set(normals(n, seed + 2, 0.01).map((v) => v * v));
  return { param: normals(n, seed), grad: normals(n, seed + 3, 0.1), moments };
}

function upload(name: string, a: Float32Array): GpuBuffer {
  return gpu.upload(name, a);
}

/** Within float32 rounding of the float64-evaluated reference: per element, relative to the array's scale. */
function assertClose(got: Float32Array, want: Float32Array, what: string, tolerance = 2e-6): void {
  const scale = Math.max(...want.map(Math.abs));
  for (let i = 0; i < want.length; i++)
    assert.ok(
      Math.abs(got[i]! - want[i]!) <= tolerance * scale,
      `${what}[${i}]: ${got[i]} vs ${want[i]} (scale ${scale})`,
    );
}

test("webgpu Adam matches adam.ts within float32 rounding", async () => {
  const n = m * 12 + 5;
  const host = adamState(n, 1);
  const param = upload("param", host.param);
  const grad = upload("grad", host.grad);
  const first = upload("first", host.moments.first);
  const second = upload("second", host.moments.second);
  const before = host.param.slice();
  for (const t of [1, 7]) {
    adamOnGpu(gpu, param, grad, first, second, n, t, lr);
    adamUpdate(host.param, host.grad, host.moments, t, lr);
  }
  const got = await gpu.readFloat32(param, n);
  assertClose(await gpu.readFloat32(first, n), host.moments.first, "first moment");
  assertClose(await gpu.readFloat32(second, n), host.moments.second, "second moment");
  // The parameter changes by about lr per step: compare the change, not only the value.
  const change = (a: Float32Array) => a.map((v, i) => v - before[i]!);
  const error = relativeError(change(got), change(host.param));
  assert.ok(error <= 1e-5, `the Adam step differs by ${error.toExponential(2)} relative`);
});

for (const d of widths)
  test(`webgpu Adam on the sphere matches the reference: unit rows, same step (d ${d})`, async () => {
    const host = adamState(m * d, 11);
    normaliseRows(host.param, d);
    host.grad.fill(0, 3 * d, 4 * d); // a row with no gradient: only its moments move it
    const decoder = upload("decoder", host.param);
    const grad = upload("grad", host.grad);
    const first = upload("first", host.moments.first);
    const second = upload("second", host.moments.second);
    adamOnSphereOnGpu(gpu, decoder, grad, first, second, m, d, 3, lr);
    adamUpdateOnSphere(host.param, host.grad.slice(), host.moments, 3, lr, d);
    const got = await gpu.readFloat32(decoder, m * d);
    assertClose(got, host.param, "decoder");
    const norms = rowNorms(got, m, d);
    for (let j = 0; j < m; j++) assert.ok(Math.abs(norms[j]! - 1) < 1e-6, `row ${j} has norm ${norms[j]}`);
    assert.deepEqual(await gpu.readFloat32(grad, m * d), host.grad, "∂W_dec is left as it was");
  });

for (const d of widths)
  test(`webgpu Adam with row norms: the encoder step and ‖w_j‖ of the updated rows (d ${d})`, async () => {
    const host = adamState(m * d, 21);
    const encoder = upload("encoder", host.param);
    const grad = upload("grad", host.grad);
    const first = upload("first", host.moments.first);
    const second = upload("second", host.moments.second);
    const norms = gpu.createBuffer("norms", m * 4);
    adamRowNormsOnGpu(gpu, encoder, grad, first, second, m, d, 2, lr, norms);
    adamUpdate(host.param, host.grad, host.moments, 2, lr);
    assertClose(await gpu.readFloat32(encoder, m * d), host.param, "encoder");
    const want = rowNorms(host.param, m, d);
    const got = await gpu.readFloat32(norms, m);
    for (let j = 0; j < m; j++) assert.ok(Math.abs(got[j]! - want[j]!) <= 1e-6 * want[j]!, `‖w_${j}‖`);
  });

test("webgpu α clamp is exact", async () => {
  const theta = Float32Array.from([-0.3, 0, 0.25, 0.5000001, 1, 1.7, -1e-30, 0.9999999]);
  const alpha = upload("alpha", theta);
  clampAlphaOnGpu(gpu, alpha, theta.length);
  const want = theta.map((v) => Math.min(1, Math.max(0, v)));
  assert.deepEqual(await gpu.readFloat32(alpha, theta.length), want);
});

for (const d of widths)
  test(`webgpu gradient clipping: tangent projection, then every gradient scaled to the global norm (d ${d})`, async () => {
    const decoderRows = normals(m * d, 31);
    normaliseRows(decoderRows, d);
    const grads = [normals(m * d, 32), normals(m * d, 33), normals(m, 34), normals(d, 35)];
    const buffers = grads.map((g, i) => upload(`grad ${i}`, g));
    const decoder = upload("decoder", decoderRows);
    const scratch = createClipScratch(gpu, grads.length);
    for (const maxNorm of [1, 1e6]) {
      const host = grads.map((g) => g.slice());
      grads.forEach((g, i) => {
        gpu.write(buffers[i]!, g);
      });
      projectToTangentOnGpu(gpu, decoder, buffers[1]!, m, d);
      clipGradNormOnGpu(
        gpu,
        buffers.map((buffer, i) => ({ buffer, length: grads[i]!.length })),
        maxNorm,
        scratch,
      );
      projectToTangent(decoderRows, host[1]!, d);
      let sumSq = 0;
      for (const g of host) for (const v of g) sumSq += v * v;
      const norm = Math.sqrt(sumSq);
      if (norm > maxNorm) for (const g of host) for (let i = 0; i < g.length; i++) g[i]! *= maxNorm / norm;
      for (let i = 0; i < grads.length; i++)
        assertClose(await gpu.readFloat32(buffers[i]!, grads[i]!.length), host[i]!, `clipped gradient ${i}`);
    }
    const rows = normals(m * d, 36, 3);
    const buffer = upload("rows", rows);
    normaliseRowsOnGpu(gpu, buffer, m, d);
    normaliseRows(rows, d);
    assertClose(await gpu.readFloat32(buffer, m * d), rows, "normalised rows");
  });

test("webgpu optimizer passes give the same bits on a rerun", async () => {
  const d = 70;
  const run = async () => {
    const host = adamState(m * d, 41);
    const decoder = upload("decoder", host.param);
    const grad = upload("grad", host.grad);
    const first = upload("first", host.moments.first);
    const second = upload("second", host.moments.second);
    adamOnSphereOnGpu(gpu, decoder, grad, first, second, m, d, 5, lr);
    return new Uint32Array((await gpu.readFloat32(decoder, m * d)).buffer);
  };
  assert.deepEqual(await run(), await run());
});
