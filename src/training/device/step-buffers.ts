import type { AdamMoments } from "../../kernels/adam.js";
import { type BackwardBuffers, createBackwardBuffers } from "../../kernels/webgpu/backward.js";
import { createClipScratch } from "../../kernels/webgpu/clip-grad-norm.js";
import type {
  DeviceBatch,
  DeviceCodes,
  DeviceLatentTerms,
  DeviceParams,
} from "../../kernels/webgpu/device-arrays.js";
import type { Gpu, GpuBuffer } from "../../kernels/webgpu/gpu.js";
import { stepScalarCount } from "../../kernels/webgpu/step-scalars.js";
import { type ParamName, paramNames, type Sae } from "../../model/sae.js";
import type { EngineConfig } from "../step-engine.js";
import type { TrainerState } from "../trainer.js";

/** AuxK's arrays: the dead latents' ids (u32 [m]), its codes, ê then e − ê, G_aux and Σ per token. */
export interface AuxkBuffers {
  deadIds: GpuBuffer;
  codes: DeviceCodes;
  residual: GpuBuffer;
  upstream: GpuBuffer;
  tokenSse: GpuBuffer;
}

/** Everything a device step reads and writes, allocated once per run (src/kernels/webgpu/device-arrays.ts). */
export interface StepBuffers {
  params: DeviceParams;
  grads: DeviceParams;
  first: DeviceParams;
  second: DeviceParams;
  terms: DeviceLatentTerms;
  /** the batch as uploaded, [B, d] */
  x: GpuBuffer;
  batch: DeviceBatch;
  /** the score's origin under cosineOf "uncentred": zeros [d] (centred reads params.bDec) */
  zeroOrigin: GpuBuffer | null;
  /** the score matrix A, then P, [B, m] */
  scores: GpuBuffer;
  codes: DeviceCodes;
  /** select's smallest kept value (the step scalars carry the one the trainer reads) */
  minKept: GpuBuffer;
  /** x̂, then e in place, [B, d] */
  residual: GpuBuffer;
  upstream: GpuBuffer;
  tokenSse: GpuBuffer;
  omega: GpuBuffer;
  /** AuxK's arrays; null when the run has none (auxkCoef 0) */
  aux: AuxkBuffers | null;
  /** f32 [stepScalarCount] (step-scalars.ts stepScalarSlot) */
  scalars: GpuBuffer;
  backward: BackwardBuffers;
  clipScratch: GpuBuffer | null;
}

export function allocateStepBuffers(
  gpu: Gpu,
  sae: Sae,
  state: TrainerState,
  config: EngineConfig,
): StepBuffers {
  const { d, m, k, nu } = { ...sae.config, nu: sae.constants.nu };
  const B = config.batchSize;
  const upload = (what: string, name: ParamName, host: Float32Array | Float64Array) =>
    host.length === 0
      ? gpu.createBuffer(`${what} ${name} (unused)`, 4)
      : gpu.upload(`${what} ${name}`, Float32Array.from(host));
  const params = {} as DeviceParams;
  const grads = {} as DeviceParams;
  const first = {} as DeviceParams;
  const second = {} as DeviceParams;
  for (const name of paramNames) {
    const host = sae.params[name];
    const moments: AdamMoments = state.moments[name];
    params[name] = upload("parameter", name, host);
    grads[name] = gpu.createBuffer(`gradient ∂${name}`, Math.max(1, host.length) * 4);
    first[name] = upload("Adam first moment of", name, moments.first);
    second[name] = upload("Adam second moment of", name, moments.second);
  }
  const f32 = (name: string, n: number) => gpu.createBuffer(name, Math.max(1, n) * 4);
  const codes = (name: string, capacity: number): DeviceCodes => ({
    rows: B,
    capacity,
    rowStart: f32(`${name} row starts [${B + 1}]`, B + 1),
    index: f32(`${name} latent ids [${capacity}]`, capacity),
    value: f32(`${name} values [${capacity}]`, capacity),
  });
  const kAux = config.auxkCoef > 0 ? Math.min(config.kAux, m) : 0;
  const capacity = B * Math.min(k, m);
  return {
    params,
    grads,
    first,
    second,
    terms: { encoderNorm: f32("‖w_j‖ [m]", m), gain: f32("g_j [m]", m), alpha: f32("α_j [m]", m) },
    x: f32(`batch [${B}, ${d}]`, B * d),
    batch: {
      rows: B,
      xs: f32(`x̃ [${B}, ${d}]`, B * d),
      xc: f32(`x_c [${B}, ${d}]`, B * d),
      norm: f32("n_t", B),
    },
    zeroOrigin: sae.config.cosineOf === "uncentred" ? f32("zero origin [d]", d) : null,
    scores: f32(`score matrix [${B}, ${m}]`, B * m),
    codes: codes("codes", capacity),
    minKept: f32("smallest kept score", 1),
    residual: f32(`x̂ / e [${B}, ${d}]`, B * d),
    upstream: f32(`G [${B}, ${d}]`, B * d),
    tokenSse: f32("Σ e² per token", B),
    omega: f32("ω_t", B),
    aux:
      kAux > 0
        ? {
            deadIds: f32("dead latent ids [m]", m),
            codes: codes("AuxK codes", B * kAux),
            residual: f32(`ê / e − ê [${B}, ${d}]`, B * d),
            upstream: f32(`G_aux [${B}, ${d}]`, B * d),
            tokenSse: f32("Σ (e − ê)² per token", B),
          }
        : null,
    scalars: f32("step scalars", stepScalarCount),
    backward: createBackwardBuffers(
      gpu,
      { rows: B, d, m, nu, eps: sae.config.eps },
      Math.max(capacity, B * kAux),
    ),
    clipScratch: config.clipGradNorm > 0 ? createClipScratch(gpu, paramNames.length) : null,
  };
}

/** Frees every buffer of a run. */
export function releaseStepBuffers(gpu: Gpu, buffers: StepBuffers): void {
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== "object") return;
    if ("buffer" in value && "bytes" in value && "name" in value) {
      gpu.release(value as GpuBuffer);
      return;
    }
    for (const inner of Object.values(value)) visit(inner);
  };
  visit(buffers);
}
