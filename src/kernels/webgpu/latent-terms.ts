import { isCosine, type ScoreKind, scoreFacts } from "../score-family.js";
import type { DeviceLatentTerms, DeviceParams } from "./device-arrays.js";
import { type Gpu, type GpuBuffer, groupsFor } from "./gpu.js";
import { uniformWords } from "./uniform-words.js";
import { linearGroupWgsl, workgroupSumWgsl } from "./workgroup-sum.js";

/** Invocations of the per-latent kernel, and of the row-norm kernel's one workgroup per row. */
const perLatentGroup = 64;
const rowGroup = 64;

/** alphaOf's three modes (score-family.ts), as the kernel's flag. */
const alphaModes = { fixed: 0, global: 1, "per-latent": 2 } as const;

const termsWgsl = /* wgsl */ `
struct Params { m: u32, cosine: u32, alphaMode: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> logGain: array<f32>;
@group(0) @binding(2) var<storage, read> theta: array<f32>;
@group(0) @binding(3) var<storage, read_write> encoderNorm: array<f32>;
@group(0) @binding(4) var<storage, read_write> gain: array<f32>;
@group(0) @binding(5) var<storage, read_write> alpha: array<f32>;
${linearGroupWgsl}
@compute @workgroup_size(${perLatentGroup})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let j = linearGroup(wid, groups) * ${perLatentGroup}u + lid;
  if (j >= P.m) { return; }
  if (P.cosine == 0u) {
    // inner: p = w·x_c + b, so ‖w_j‖, g_j and α_j are all 1
    encoderNorm[j] = 1.0;
    gain[j] = 1.0;
    alpha[j] = 1.0;
    return;
  }
  gain[j] = exp(logGain[j]);
  if (P.alphaMode == 1u) {
    alpha[j] = theta[0];
  } else if (P.alphaMode == 2u) {
    alpha[j] = theta[j];
  } else {
    alpha[j] = 0.0;
  }
}
`;

const rowNormsWgsl = /* wgsl */ `
struct Params { rows: u32, d: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> norm: array<f32>;
${workgroupSumWgsl(rowGroup)}
${linearGroupWgsl}
@compute @workgroup_size(${rowGroup})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let j = linearGroup(wid, groups);
  if (j >= P.rows) { return; }
  let row = j * P.d;
  var s = 0.0;
  for (var c = lid; c < P.d; c += ${rowGroup}u) {
    let v = w[row + c];
    s += v * v;
  }
  let total = workgroupSum(lid, s);
  if (lid == 0u) { norm[j] = sqrt(total); }
}
`;

/** Records norm[j] = ‖W[j]‖ for the rows of W [rows, d] (sparse.ts rowNorms), one workgroup per row. */
export function rowNormsOnGpu(gpu: Gpu, w: GpuBuffer, rows: number, d: number, norm: GpuBuffer): void {
  gpu.dispatch(
    gpu.pipeline(rowNormsWgsl, "row norms"),
    [w, norm],
    groupsFor(rows, 1),
    uniformWords([rows, d]),
  );
}

/**
 * Records the per-latent terms of a step (model/forward.ts latentTerms): g_j = exp(γ_j),
 * α_j (score-family.ts alphaOf: 1 inner, 0 cosine, θ[0] blend, θ[j] blend-feature) and,
 * for the cosine family with `computeNorms`, ‖w_j‖. Without `computeNorms` the cosine
 * family's `out.encoderNorm` is left as it is (the trainer holds them from Adam's pass);
 * the inner score's are set to 1.
 */
export function latentTermsOnGpu(
  gpu: Gpu,
  params: DeviceParams,
  score: ScoreKind,
  m: number,
  d: number,
  out: DeviceLatentTerms,
  computeNorms: boolean,
): void {
  const cosine = isCosine(score);
  gpu.dispatch(
    gpu.pipeline(termsWgsl, "latent terms"),
    [params.logGain, params.alpha, out.encoderNorm, out.gain, out.alpha],
    groupsFor(m, perLatentGroup),
    uniformWords([m, cosine ? 1 : 0, alphaModes[scoreFacts(score).alpha]]),
  );
  if (cosine && computeNorms) rowNormsOnGpu(gpu, params.encoder, m, d, out.encoderNorm);
}
