import type { DeviceBatch, StepShape } from "./device-arrays.js";
import { type Gpu, type GpuBuffer, groupsFor } from "./gpu.js";
import { uniformWords } from "./uniform-words.js";
import { linearGroupWgsl, workgroupSumWgsl } from "./workgroup-sum.js";

/** One workgroup per token row. */
const rowGroup = 64;

const centreWgsl = /* wgsl */ `
struct Params { rows: u32, d: u32, invScale: f32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> origin: array<f32>;
@group(0) @binding(3) var<storage, read_write> xs: array<f32>;
@group(0) @binding(4) var<storage, read_write> xc: array<f32>;
@group(0) @binding(5) var<storage, read_write> norm: array<f32>;
${workgroupSumWgsl(rowGroup)}
${linearGroupWgsl}
@compute @workgroup_size(${rowGroup})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = linearGroup(wid, groups);
  if (t >= P.rows) { return; }
  var s = 0.0;
  for (var c = lid; c < P.d; c += ${rowGroup}u) {
    let i = t * P.d + c;
    let v = x[i] * P.invScale;
    xs[i] = v;
    let u = v - origin[c];
    xc[i] = u;
    s += u * u;
  }
  let total = workgroupSum(lid, s);
  if (lid == 0u) { norm[t] = sqrt(total); }
}
`;

/**
 * Records kernels/centre.ts on the device: x̃ = x · invScale, x_c = x̃ − origin,
 * n_t = ‖x_c,t‖ into `out`. The origin is b_dec, or a zero buffer of d under cosineOf
 * "uncentred" (model/forward.ts scoreOrigin), which makes x_c = x̃ bit for bit.
 */
export function centreOnGpu(
  gpu: Gpu,
  x: GpuBuffer,
  invScale: number,
  origin: GpuBuffer,
  shape: Pick<StepShape, "rows" | "d">,
  out: DeviceBatch,
): void {
  gpu.dispatch(
    gpu.pipeline(centreWgsl, "centre"),
    [x, origin, out.xs, out.xc, out.norm],
    groupsFor(shape.rows, 1),
    uniformWords([shape.rows, shape.d], [invScale]),
  );
}
