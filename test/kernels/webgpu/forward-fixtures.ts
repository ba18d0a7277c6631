import assert from "node:assert/strict";
import type { SparseRows } from "../../../src/kernels/arrays.js";
import type {
  DeviceCodes,
  DeviceLatentTerms,
  DeviceParams,
} from "../../../src/kernels/webgpu/device-arrays.js";
import type { Gpu, GpuBuffer } from "../../../src/kernels/webgpu/gpu.js";
import type { SaeConfig } from "../../../src/model/config.js";
import { cloneSae, type Sae } from "../../../src/model/sae.js";
import { randomSae } from "../../helpers/random-sae.js";

/**
 * What the forward kernels' tests share: float64 SAEs whose every number is a float32
 * (so the device gets exactly the reference's inputs and the comparison measures the
 * kernels, not the upload's rounding), their upload, and the norm-wise comparison.
 */

/** randomSae with its parameters rounded to float32, kept in float64 for the reference. */
export function float32Sae(overrides: Partial<SaeConfig>, seed = 1): Sae {
  return cloneSae(cloneSae(randomSae(overrides, seed), Float32Array), Float64Array);
}

/** The values of `a` rounded to float32, in float64. */
export function float32Values(a: ArrayLike<number>): Float64Array {
  return Float64Array.from(a, Math.fround);
}

/** Sparse rows with their values rounded to float32 (the codes as the device holds them). */
export function float32Codes(codes: SparseRows): SparseRows {
  return { ...codes, value: float32Values(codes.value) };
}

export function uploadFloat32(gpu: Gpu, name: string, a: ArrayLike<number>): GpuBuffer {
  return gpu.upload(name, Float32Array.from(a.length > 0 ? a : [0]));
}

export function uploadParams(gpu: Gpu, sae: Sae): DeviceParams {
  const p = sae.params;
  return {
    encoder: uploadFloat32(gpu, "W_enc", p.encoder),
    decoder: uploadFloat32(gpu, "W_dec", p.decoder),
    bEnc: uploadFloat32(gpu, "b_enc", p.bEnc),
    bDec: uploadFloat32(gpu, "b_dec", p.bDec),
    logGain: uploadFloat32(gpu, "γ", p.logGain),
    alpha: uploadFloat32(gpu, "θ_α", p.alpha),
  };
}

export function uploadCodes(gpu: Gpu, codes: SparseRows, name = "codes"): DeviceCodes {
  const count = codes.rowStart[codes.rows]!;
  return {
    rows: codes.rows,
    capacity: count,
    rowStart: gpu.upload(`${name} rowStart`, Uint32Array.from(codes.rowStart)),
    index: gpu.upload(`${name} index`, Uint32Array.from(count > 0 ? codes.index : [0])),
    value: uploadFloat32(gpu, `${name} value`, codes.value),
  };
}

export function createTerms(gpu: Gpu, m: number): DeviceLatentTerms {
  return {
    encoderNorm: gpu.createBuffer("‖w_j‖", m * 4),
    gain: gpu.createBuffer("g", m * 4),
    alpha: gpu.createBuffer("α", m * 4),
  };
}

/** ‖got − want‖ / ‖want‖ (0 when both are 0). */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length, "lengths");
  let diff = 0;
  let size = 0;
  for (let i = 0; i < want.length; i++) {
    diff += (got[i]! - want[i]!) ** 2;
    size += want[i]! ** 2;
  }
  return diff === 0 ? 0 : Math.sqrt(diff / size);
}

/** The device's `got` within `tolerance` (norm-wise relative) of the float64 reference `want`. */
export function assertClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  what: string,
  tolerance = 1e-5,
): void {
  const error = relativeError(got, want);
  assert.ok(error <= tolerance, `${what}: relative error ${error.toExponential(2)} > ${tolerance}`);
}
