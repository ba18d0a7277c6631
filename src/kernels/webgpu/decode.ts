import type { DeviceCodes, StepShape } from "./device-arrays.js";
import { type Gpu, type GpuBuffer, groupsFor } from "./gpu.js";
import { uniformWords } from "./uniform-words.js";
import { linearGroupWgsl } from "./workgroup-sum.js";

/** One workgroup per token row; each invocation owns the columns c ≡ lid (mod rowGroup). */
const rowGroup = 64;

/**
 * WGSL for equivariant decoding's scale q = r^(1−α_j), r = n/ν (model/forward.ts
 * decodeScale) in float32: the backward pass uses the same functions so its z q has
 * the forward's bits.
 */
export const decodeScaleWgsl = /* wgsl */ `
// the smallest normal f32: n's floor before its logarithm (decodeScale floors at the smallest double)
const smallestNorm = 1.17549435e-38;

fn logNormRatio(n: f32, nu: f32) -> f32 {
  return log(max(n, smallestNorm) / nu);
}

fn decodeScale(alpha: f32, logRatio: f32) -> f32 {
  return exp((1.0 - alpha) * logRatio);
}
`;

/** The WGSL of decode, with or without b_dec as each row's starting value. */
function decodeWgsl(withBias: boolean): string {
  return /* wgsl */ `
struct Params { rows: u32, d: u32, equivariant: u32, nu: f32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> rowStart: array<u32>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
@group(0) @binding(3) var<storage, read> value: array<f32>;
@group(0) @binding(4) var<storage, read> decoder: array<f32>;
@group(0) @binding(5) var<storage, read> alpha: array<f32>;
@group(0) @binding(6) var<storage, read> norm: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;
${withBias ? "@group(0) @binding(8) var<storage, read> bias: array<f32>;" : ""}
${linearGroupWgsl}
${decodeScaleWgsl}
@compute @workgroup_size(${rowGroup})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = linearGroup(wid, groups);
  if (t >= P.rows) { return; }
  let first = rowStart[t];
  let last = rowStart[t + 1u];
  let logRatio = logNormRatio(norm[t], P.nu);
  for (var c = lid; c < P.d; c += ${rowGroup}u) {
    var acc = ${withBias ? "bias[c]" : "0.0"};
    // the entries in their stored order, as sparse.ts sparseDecode adds them
    for (var i = first; i < last; i++) {
      let j = index[i];
      var zq = value[i];
      if (P.equivariant != 0u) {
        // q = r^(1 − α_j), rounded into z q before the product as forward.ts scaledCodes does
        zq = zq * decodeScale(alpha[j], logRatio);
      }
      acc += zq * decoder[j * P.d + c];
    }
    out[t * P.d + c] = acc;
  }
}
`;
}

/**
 * Records model/forward.ts decode on the device: out_t = (bias) + Σ_i z_i q_ti d_j over
 * row t's entries in their stored order, q = 1 (plain) or r_t^(1−α_j) with r = n/ν
 * (equivariant). `alpha` is the terms' α [m], `norm` the batch's n [rows]; the count of
 * entries is read on the device (codes.rowStart). `bias` is b_dec for x̂, null for AuxK's ê.
 */
export function decodeOnGpu(
  gpu: Gpu,
  codes: DeviceCodes,
  decoder: GpuBuffer,
  alpha: GpuBuffer,
  norm: GpuBuffer,
  shape: Pick<StepShape, "rows" | "d" | "nu">,
  equivariant: boolean,
  bias: GpuBuffer | null,
  out: GpuBuffer,
): void {
  const buffers = [codes.rowStart, codes.index, codes.value, decoder, alpha, norm, out];
  gpu.dispatch(
    gpu.pipeline(decodeWgsl(bias !== null), bias ? "decode with b_dec" : "decode"),
    bias ? [...buffers, bias] : buffers,
    groupsFor(shape.rows, 1),
    uniformWords([shape.rows, shape.d, equivariant ? 1 : 0], [shape.nu]),
  );
}
