/**
 * Gradient-norm clipping (the trainer's clipGlobalNorm): when ‖g‖ over every
 * parameter's gradient exceeds maxNorm, all are scaled by maxNorm / ‖g‖. The norm
 * is a deterministic sum: one tree sum of squares per gradient (tree-sum.ts), then
 * their total in order; the factor stays on the device, so nothing is read back.
 */
import { type Gpu, type GpuBuffer, groupsFor } from "./gpu.js";
import { treeSumOnGpu } from "./tree-sum.js";
import { uniformWords } from "./uniform-words.js";

const perGroup = 256;

/** A gradient and how many of its floats are live. */
export interface GradientSpan {
  buffer: GpuBuffer;
  length: number;
}

const factorWgsl = /* wgsl */ `
struct Params { parts: u32, maxNorm: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> norms: array<f32>;
@compute @workgroup_size(1)
fn main() {
  var total = 0.0;
  for (var i = 0u; i < p.parts; i++) { total += norms[i]; }
  let norm = sqrt(total);
  norms[p.parts] = select(1.0, p.maxNorm / norm, norm > p.maxNorm);
}`;

const scaleWgsl = /* wgsl */ `
struct Params { count: u32, nx: u32, at: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> norms: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@compute @workgroup_size(${perGroup})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.nx * ${perGroup}u;
  if (i >= p.count) { return; }
  let factor = norms[p.at];
  if (factor != 1.0) { grad[i] *= factor; }
}`;

/** A scratch buffer for clipGradNormOnGpu over `parts` gradients: their squared norms, then the factor. */
export function createClipScratch(gpu: Gpu, parts: number): GpuBuffer {
  return gpu.createBuffer(`gradient norms [${parts + 1}]`, (parts + 1) * 4);
}

/** Records the clipping of `grads` to global norm `maxNorm`; `scratch` from createClipScratch(grads.length). */
export function clipGradNormOnGpu(
  gpu: Gpu,
  grads: readonly GradientSpan[],
  maxNorm: number,
  scratch: GpuBuffer,
): void {
  if (scratch.bytes < (grads.length + 1) * 4)
    throw new Error(
      `${scratch.name} holds ${scratch.bytes / 4} floats; clipping ${grads.length} gradients needs ${grads.length + 1}`,
    );
  grads.forEach((g, i) => {
    treeSumOnGpu(gpu, g.buffer, scratch, i, { count: g.length, squared: true });
  });
  gpu.dispatch(
    gpu.pipeline(factorWgsl, "gradient clip factor"),
    [scratch],
    [1],
    uniformWords([grads.length], [maxNorm]),
  );
  const scale = gpu.pipeline(scaleWgsl, "gradient clip");
  for (const g of grads) {
    if (g.length === 0) continue;
    const groups = groupsFor(g.length, perGroup);
    gpu.dispatch(scale, [scratch, g.buffer], groups, uniformWords([g.length, groups[0], grads.length]));
  }
}
