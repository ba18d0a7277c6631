/**
 * A host training step's arrays uploaded as device arrays (src/kernels/webgpu/device-arrays.ts),
 * rounded to float32, for the webgpu kernel tests.
 */
import type { SparseRows } from "../../../src/kernels/arrays.js";
import type {
  DeviceBatch,
  DeviceCodes,
  DeviceLatentTerms,
  DeviceParams,
} from "../../../src/kernels/webgpu/device-arrays.js";
import type { Gpu } from "../../../src/kernels/webgpu/gpu.js";
import type { LatentTerms, Preactivations } from "../../../src/model/forward.js";
import { paramNames, type SaeParams } from "../../../src/model/sae.js";

/** A float32 copy with at least one element (the device arrays' 1-element dummies). */
export function f32(a: ArrayLike<number>): Float32Array {
  const out = new Float32Array(Math.max(1, a.length));
  for (let i = 0; i < a.length; i++) out[i] = a[i]!;
  return out;
}

export function uploadCodes(gpu: Gpu, codes: SparseRows, name: string): DeviceCodes {
  const capacity = codes.rowStart[codes.rows]!;
  return {
    rows: codes.rows,
    capacity,
    rowStart: gpu.upload(`${name} rowStart`, Uint32Array.from(codes.rowStart)),
    index: gpu.upload(`${name} index`, Uint32Array.from(codes.index.length > 0 ? codes.index : [0])),
    value: gpu.upload(`${name} value`, f32(codes.value)),
  };
}

export function uploadParams(gpu: Gpu, params: SaeParams, name: string): DeviceParams {
  const out = {} as Record<(typeof paramNames)[number], ReturnType<Gpu["upload"]>>;
  for (const p of paramNames) out[p] = gpu.upload(`${name} ${p}`, f32(params[p]));
  return out;
}

export function uploadBatch(gpu: Gpu, pa: Preactivations): DeviceBatch {
  return {
    rows: pa.rows,
    xs: gpu.upload("xs", f32(pa.xs)),
    xc: gpu.upload("xc", f32(pa.xc)),
    norm: gpu.upload("norm", f32(pa.norm)),
  };
}

export function uploadTerms(gpu: Gpu, terms: LatentTerms): DeviceLatentTerms {
  return {
    encoderNorm: gpu.upload("encoderNorm", f32(terms.encoderNorm)),
    gain: gpu.upload("gain", f32(terms.gain)),
    alpha: gpu.upload("alpha", f32(terms.alpha)),
  };
}

/** ‖a − b‖ / ‖b‖ (or ‖a‖ when b is 0). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    ref += b[i]! ** 2;
  }
  return ref > 0 ? Math.sqrt(diff / ref) : Math.sqrt(diff);
}
