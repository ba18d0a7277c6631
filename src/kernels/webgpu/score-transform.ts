/**
 * The score transform on the GPU (DESIGN §2, src/kernels/score-transform.ts):
 * the raw products a_tj = w_j · x_c,t become pre-activations in place,
 *   inner:          p = a + b_j
 *   cosine family:  p = g_j · a / (‖w_j‖ n_t + ε) · r_t^α_j + b_j,  r_t = n_t / ν,
 * one workgroup per row (n_t and, unless α is per latent, r_t^α once per row).
 * With a histogram buffer it also counts the first digit of the radix select
 * (radix-select.ts) as it writes p, so BatchTopK needs no extra pass for it.
 */
import { type ScoreKind, scoreFacts } from "../score-family.js";
import type { DeviceLatentTerms, StepShape } from "./device-arrays.js";
import { type Gpu, type GpuBuffer, GpuError, groupsFor } from "./gpu.js";
import {
  radixCommonWgsl,
  radixDigits,
  radixFlushWgsl,
  radixHistogramWgsl,
  rowOfWorkgroupWgsl,
} from "./radix-select.js";
import { scratchBuffer } from "./scratch.js";
import { uniformWords } from "./uniform-words.js";

/** What the transform reads besides the scores: DESIGN §2's b_enc, the latent terms and n_t. */
export interface DeviceScoreSpec {
  score: ScoreKind;
  /** b_enc [m] */
  bias: GpuBuffer;
  terms: DeviceLatentTerms;
  /** n_t [rows] */
  norm: GpuBuffer;
}

/** The kernel's mode: inner (p = a + b), else how it computes r_t^α_j: α fixed (0, so 1), one α, one per latent. */
const modes = { inner: 0, fixed: 1, global: 2, perLatent: 3 } as const;

function modeOf(score: ScoreKind): number {
  const { cosine, alpha } = scoreFacts(score);
  if (!cosine) return modes.inner;
  return alpha === "fixed" ? modes.fixed : alpha === "global" ? modes.global : modes.perLatent;
}

/**
 * One shader for every score and for both uses (the score and α mode and
 * whether to count are uniform flags, so the branches cost a GPU nothing and
 * SwiftShader compiles it once, not eight times).
 */
const transformWgsl = /* wgsl */ `
struct Params { rows: u32, m: u32, mode: u32, histogram: u32, nu: f32, eps: f32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> scores: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read> gain: array<f32>;
@group(0) @binding(4) var<storage, read> encoderNorm: array<f32>;
@group(0) @binding(5) var<storage, read> norm: array<f32>;
@group(0) @binding(6) var<storage, read> alpha: array<f32>;
@group(0) @binding(7) var<storage, read_write> globalHistogram: array<atomic<u32>>;
${radixCommonWgsl}
${radixHistogramWgsl}
${radixFlushWgsl}
${rowOfWorkgroupWgsl}

const INNER: u32 = ${modes.inner}u;
const GLOBAL: u32 = ${modes.global}u;
const PER_LATENT: u32 = ${modes.perLatent}u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = rowOf(wid, groups);
  if (row >= params.rows) { return; }
  let counting = params.histogram != 0u;
  if (counting) { clearHistogram(lid); }
  workgroupBarrier();
  let base = row * params.m;
  if (params.mode == INNER) {
    for (var j = lid; j < params.m; j = j + WG) {
      let p = scores[base + j] + bias[j];
      scores[base + j] = p;
      if (counting) { countKey(orderKey(p), 0u, ${radixDigits[0]![0]}u, ${radixDigits[0]![1]}u); }
    }
  } else {
    let n = norm[row];
    // max(n, smallest normal): a zero row keeps a finite log (its a is 0, so p = b_j as on the CPU)
    let logR = log(max(n, 1.17549435e-38) / params.nu);
    var rowFactor = 1.0;
    if (params.mode == GLOBAL) { rowFactor = exp(alpha[0] * logR); }
    for (var j = lid; j < params.m; j = j + WG) {
      var factor = rowFactor;
      if (params.mode == PER_LATENT) { factor = exp(alpha[j] * logR); }
      let p = (gain[j] * factor * scores[base + j]) / (encoderNorm[j] * n + params.eps) + bias[j];
      scores[base + j] = p;
      if (counting) { countKey(orderKey(p), 0u, ${radixDigits[0]![0]}u, ${radixDigits[0]![1]}u); }
    }
  }
  workgroupBarrier();
  if (counting) { flushHistogram(lid); }
}
`;

/** Checks the sizes a transform is asked for against the buffers given. */
function checkSizes(a: GpuBuffer, shape: StepShape, spec: DeviceScoreSpec): void {
  const { rows, m } = shape;
  const need = (b: GpuBuffer, floats: number, what: string): void => {
    if (b.bytes < floats * 4)
      throw new GpuError(
        `the score transform of ${rows}×${m} scores needs ${what} of ${floats} floats, but ${b.name} holds ${b.bytes / 4}; ` +
          "allocate it for this shape",
      );
  };
  need(a, rows * m, "the scores");
  need(spec.bias, m, "b_enc");
  if (scoreFacts(spec.score).cosine) {
    need(spec.norm, rows, "n_t");
    need(spec.terms.gain, m, "g");
    need(spec.terms.encoderNorm, m, "‖w‖");
    if (scoreFacts(spec.score).alpha === "per-latent") need(spec.terms.alpha, m, "α");
  }
}

/**
 * Records the transform of `a` [rows, m] into pre-activations, in place; with
 * `histogram` (u32 [histogramBins], zeroed), also adds the first radix digit of
 * each positive p to it.
 */
export function recordScoreTransform(
  gpu: Gpu,
  a: GpuBuffer,
  shape: StepShape,
  spec: DeviceScoreSpec,
  histogram?: GpuBuffer,
): void {
  checkSizes(a, shape, spec);
  const { terms } = spec;
  gpu.dispatch(
    gpu.pipeline(transformWgsl, "score transform"),
    [
      a,
      spec.bias,
      terms.gain,
      terms.encoderNorm,
      spec.norm,
      terms.alpha,
      histogram ?? scratchBuffer(gpu, "score transform no histogram", 4),
    ],
    groupsFor(shape.rows, 1),
    uniformWords([shape.rows, shape.m, modeOf(spec.score), histogram ? 1 : 0], [shape.nu, shape.eps]),
  );
}

/** Records the score transform of `a` [rows, m] in place: a → p exactly as applyScore (score-transform.ts). */
export function applyScoreOnGpu(gpu: Gpu, a: GpuBuffer, shape: StepShape, spec: DeviceScoreSpec): void {
  recordScoreTransform(gpu, a, shape, spec);
}
