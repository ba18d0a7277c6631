import type { DeviceCodes } from "./device-arrays.js";
import type { Gpu, GpuBuffer } from "./gpu.js";
import { uniformWords } from "./uniform-words.js";
import { workgroupSumWgsl } from "./workgroup-sum.js";

/**
 * The layout of the step's scalars: one small f32 buffer the trainer reads once per
 * step. centredSumOfSquaresOnGpu writes the two denominators into it (their slots
 * below) before stepScalarsOnGpu fills the rest from them.
 */
export const stepScalarSlot = {
  /** mse + auxLoss */
  loss: 0,
  /** (1/B) Σ_t ω_t ‖e_t‖² */
  mse: 1,
  /** λ_aux Σ‖e − ê‖² / Σ‖e − ē‖², 0 without AuxK or when that denominator is not > 0 */
  auxLoss: 2,
  /** Σ‖e‖² / Σ‖x̃ − mean x̃‖² */
  fvu: 3,
  /** the count of kept entries, codes.rowStart[B] (l0 · B), exact below 2^24 */
  kept: 4,
  /** the smallest kept value (the threshold τ's input), +∞ when nothing is kept */
  minKept: 5,
  /** Σ_t ‖e_t‖² */
  sse: 6,
  /** Σ_t ‖e_t − ê_t‖² (0 without AuxK) */
  auxSse: 7,
  /** Σ‖x̃ − mean x̃‖², written by centredSumOfSquaresOnGpu(x̃) */
  fvuDenominator: 8,
  /** Σ‖e − ē‖², written by centredSumOfSquaresOnGpu(e) before AuxK's residual */
  auxDenominator: 9,
} as const;

/** f32 words in the step-scalars buffer. */
export const stepScalarCount = 10;

const group = 256;

function stepScalarsWgsl(withAux: boolean): string {
  return /* wgsl */ `
// infinity: +∞, which WGSL cannot spell as a constant
struct Params { rows: u32, auxCoef: f32, infinity: f32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> tokenSse: array<f32>;
@group(0) @binding(2) var<storage, read> omega: array<f32>;
@group(0) @binding(3) var<storage, read> rowStart: array<u32>;
@group(0) @binding(4) var<storage, read> value: array<f32>;
@group(0) @binding(5) var<storage, read_write> scalars: array<f32>;
${withAux ? "@group(0) @binding(6) var<storage, read> auxTokenSse: array<f32>;" : ""}
${workgroupSumWgsl(group)}
var<workgroup> partialMins: array<f32, ${group}>;

@compute @workgroup_size(${group})
fn main(@builtin(local_invocation_index) lid: u32) {
  var sse = 0.0;
  var weighted = 0.0;
  var auxSse = 0.0;
  for (var t = lid; t < P.rows; t += ${group}u) {
    sse += tokenSse[t];
    weighted += omega[t] * tokenSse[t];
    ${withAux ? "auxSse += auxTokenSse[t];" : ""}
  }
  let count = rowStart[P.rows];
  var low = P.infinity;
  for (var i = lid; i < count; i += ${group}u) { low = min(low, value[i]); }
  partialMins[lid] = low;
  sse = workgroupSum(lid, sse);
  weighted = workgroupSum(lid, weighted);
  auxSse = workgroupSum(lid, auxSse);
  for (var s = ${group / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { partialMins[lid] = min(partialMins[lid], partialMins[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let mse = weighted / f32(P.rows);
    let auxDenominator = scalars[${stepScalarSlot.auxDenominator}];
    let auxLoss = select(0.0, P.auxCoef * auxSse / auxDenominator, ${withAux ? "auxDenominator > 0.0" : "false"});
    scalars[${stepScalarSlot.loss}] = mse + auxLoss;
    scalars[${stepScalarSlot.mse}] = mse;
    scalars[${stepScalarSlot.auxLoss}] = auxLoss;
    scalars[${stepScalarSlot.fvu}] = sse / scalars[${stepScalarSlot.fvuDenominator}];
    scalars[${stepScalarSlot.kept}] = f32(count);
    scalars[${stepScalarSlot.minKept}] = partialMins[0];
    scalars[${stepScalarSlot.sse}] = sse;
    scalars[${stepScalarSlot.auxSse}] = auxSse;
  }
}
`;
}

/** What stepScalarsOnGpu reduces: the outputs of the step's residual passes and its codes. */
export interface StepScalarInputs {
  /** Σ_c e² per token, f32 [rows] (the main residualUpstreamOnGpu) */
  tokenSse: GpuBuffer;
  /** ω, f32 [rows] (tokenWeightsOnGpu) */
  omega: GpuBuffer;
  /** the main term's codes: their count and smallest value */
  codes: DeviceCodes;
  /** AuxK's Σ_c (e − ê)² per token and λ_aux, or null when the step has no AuxK term */
  aux: { tokenSse: GpuBuffer; coef: number } | null;
}

/**
 * Records the step's scalars into `scalars` (f32 [stepScalarCount], layout
 * stepScalarSlot), as model/loss.ts forwardTraining and auxkTerm compute them. The
 * slots fvuDenominator (and auxDenominator with AuxK) must already hold
 * centredSumOfSquaresOnGpu's results. One workgroup; sums in a fixed order.
 */
export function stepScalarsOnGpu(gpu: Gpu, inputs: StepScalarInputs, rows: number, scalars: GpuBuffer): void {
  const { tokenSse, omega, codes, aux } = inputs;
  const buffers = [tokenSse, omega, codes.rowStart, codes.value, scalars];
  if (aux) buffers.push(aux.tokenSse);
  gpu.dispatch(
    gpu.pipeline(stepScalarsWgsl(aux !== null), "step scalars"),
    buffers,
    [1],
    uniformWords([rows], [aux?.coef ?? 0, Number.POSITIVE_INFINITY]),
  );
}
