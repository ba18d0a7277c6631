/**
 * The arrays of a training step as they live on the GPU: the contract between the
 * webgpu kernel files (forward.ts, select.ts, backward.ts, adam.ts) and the device
 * trainer that chains them. Same meaning and layout as the host arrays of
 * src/model (forward.ts, loss.ts), in DESIGN §2's notation, with two differences:
 * everything is float32 (WGSL has no float64; kernels accumulate long sums in
 * float32 pairwise/tree order), and indices are u32.
 */
import type { GpuBuffer } from "./gpu.js";

/**
 * Codes in compressed-row form, as SparseRows: row t holds index[i], value[i] for
 * rowStart[t] ≤ i < rowStart[t + 1], latent ids ascending within a row. `capacity`
 * entries are allocated; the count actually used is rowStart[rows], on the device.
 */
export interface DeviceCodes {
  rows: number;
  capacity: number;
  /** u32 [rows + 1] */
  rowStart: GpuBuffer;
  /** u32 [capacity] */
  index: GpuBuffer;
  /** f32 [capacity] */
  value: GpuBuffer;
}

/** The SAE's parameters (src/model/sae.ts SaeParams), f32, rows of [m, d]. */
export interface DeviceParams {
  /** W_enc [m, d] */
  encoder: GpuBuffer;
  /** W_dec [m, d], unit rows */
  decoder: GpuBuffer;
  /** b_enc [m] */
  bEnc: GpuBuffer;
  /** b_dec [d] */
  bDec: GpuBuffer;
  /** γ [m] for the cosine family, else a 1-element dummy */
  logGain: GpuBuffer;
  /** θ_α: [1] for blend, [m] for blend-feature, else a 1-element dummy */
  alpha: GpuBuffer;
}

/** The per-latent terms of a step (src/model/forward.ts LatentTerms), f32 [m] each. */
export interface DeviceLatentTerms {
  /** ‖w_j‖ (1 for inner) */
  encoderNorm: GpuBuffer;
  /** g_j = exp(γ_j) (1 for inner) */
  gain: GpuBuffer;
  /** α_j (1 for inner, 0 for cosine, the global α repeated for blend) */
  alpha: GpuBuffer;
}

/** The centred batch (src/model/forward.ts Preactivations, less `pre`): f32. */
export interface DeviceBatch {
  rows: number;
  /** x̃ [rows, d] */
  xs: GpuBuffer;
  /** x_c [rows, d] (a copy of x̃ under cosineOf "uncentred") */
  xc: GpuBuffer;
  /** n_t [rows] */
  norm: GpuBuffer;
}

/** The constants every step kernel reads: shapes and DESIGN §2's ν, ε. */
export interface StepShape {
  rows: number;
  d: number;
  m: number;
  nu: number;
  eps: number;
}
