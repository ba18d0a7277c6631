/**
 * The `webgpu` kernel set: the score product on the GPU (gemm.ts), and causal
 * attention for the transformer forward (attention.ts); everything else from the
 * reference set. The interface's other methods are synchronous, so they
 * stay on the CPU here; the device trainer (src/training/device/) runs a whole step
 * on the GPU with the kernel files directly. Browser-safe: open the Gpu with
 * openGpu(navigator.gpu) and pass it in (node-webgpu-kernels.ts does so in Node).
 */
import type { FloatArray } from "../arrays.js";
import type { AttentionHeads, AttentionKernels, ConstantWeightKernels } from "../device-extras.js";
import type { Kernels } from "../kernels.js";
import { referenceKernels } from "../reference.js";
import { encodeCausalAttention, sequenceStarts } from "./attention.js";
import { encodeScores, gemmTile } from "./gemm.js";
import type { Gpu, GpuBuffer } from "./gpu.js";

export interface WebgpuKernels extends Kernels, AttentionKernels, ConstantWeightKernels {
  readonly gpu: Gpu;
}

/** A weight matrix's device copy and the fingerprint of the contents it was uploaded from. */
interface DeviceWeight {
  buffer: GpuBuffer;
  fingerprint: number;
  length: number;
}

/**
 * A hash of every word of `a`: weights are cached on the device by array object,
 * and the trainer mutates its arrays in place, so a changed value must change the
 * key. Four FNV-style lanes (word i in lane i mod 4) keep the multiplies
 * independent (≈ 2 ns a word). Each step (h ^ v)·odd is a bijection of h, so a
 * change of any one word always changes the result; more changes collide with
 * odds about 2⁻³².
 */
export function contentFingerprint(a: Float32Array): number {
  const words = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const prime = 0x01000193;
  let h0 = 0x811c9dc5;
  let h1 = 0x811c9dc5 ^ 1;
  let h2 = 0x811c9dc5 ^ 2;
  let h3 = 0x811c9dc5 ^ 3;
  const whole = words.length & ~3;
  for (let i = 0; i < whole; i += 4) {
    h0 = Math.imul(h0 ^ words[i]!, prime);
    h1 = Math.imul(h1 ^ words[i + 1]!, prime);
    h2 = Math.imul(h2 ^ words[i + 2]!, prime);
    h3 = Math.imul(h3 ^ words[i + 3]!, prime);
  }
  for (let i = whole; i < words.length; i++) h0 = Math.imul(h0 ^ words[i]!, prime);
  return (h0 ^ Math.imul(h1, 3) ^ Math.imul(h2, 5) ^ Math.imul(h3, 7) ^ words.length) >>> 0;
}

export interface WebgpuKernelsOptions {
  /** the most bytes of X or scores bound at once (default and cap: maxStorageBufferBindingSize); tests make it small */
  maxBlockBytes?: number;
}

/** The webgpu kernel set on an open Gpu; `dispose()` destroys the device. */
export function webgpuKernelsOn(gpu: Gpu, options: WebgpuKernelsOptions = {}): WebgpuKernels {
  // Device copies of the weights (harvest multiplies many X by the same few W).
  const weights = new WeakMap<FloatArray, DeviceWeight>();
  // Arrays the caller promised not to change (a model's weights): uploaded once, never hashed.
  const constant = new WeakSet<Float32Array>();
  const released = new FinalizationRegistry<GpuBuffer>((b) => gpu.release(b));
  let xBuffer: GpuBuffer | null = null;
  let outBuffer: GpuBuffer | null = null;
  let qkvBuffer: GpuBuffer | null = null;
  let startsBuffer: GpuBuffer | null = null;
  let attendedBuffer: GpuBuffer | null = null;
  // One host result, reused while the shape stays the same (like the other sets).
  let result = new Float32Array(0);

  const atLeast = (held: GpuBuffer | null, name: string, bytes: number): GpuBuffer => {
    if (held && held.bytes >= bytes) return held;
    gpu.release(held);
    return gpu.createBuffer(name, bytes);
  };

  const deviceWeight = (w: Float32Array, length: number): GpuBuffer => {
    const cached = weights.get(w);
    if (cached && cached.length === length && constant.has(w)) return cached.buffer;
    const fingerprint = contentFingerprint(w.subarray(0, length));
    if (cached && cached.length === length && cached.fingerprint === fingerprint) return cached.buffer;
    const data = w.subarray(0, length);
    if (cached && cached.buffer.bytes >= data.byteLength) {
      gpu.write(cached.buffer, data);
      cached.fingerprint = fingerprint;
      cached.length = length;
      return cached.buffer;
    }
    if (cached) {
      released.unregister(cached);
      gpu.release(cached.buffer);
    }
    const entry = { buffer: gpu.upload("W", data), fingerprint, length };
    weights.set(w, entry);
    released.register(w, entry.buffer, entry);
    return entry.buffer;
  };

  return {
    ...referenceKernels,
    name: `webgpu (${gpu.adapterName})`,
    gpu,
    async denseScores(x: FloatArray, w: FloatArray, rows: number, d: number, m: number): Promise<FloatArray> {
      if (!(x instanceof Float32Array) || !(w instanceof Float32Array))
        return referenceKernels.denseScores(x, w, rows, d, m);
      if (result.length !== rows * m) result = new Float32Array(rows * m);
      if (rows === 0 || m === 0) return result;
      const wDevice = deviceWeight(w, m * d);
      // One binding holds at most maxStorageBufferBindingSize: a larger score matrix
      // (4096 × 65536 floats is 1 GiB) is computed and read back a block of rows at a time.
      const maxBinding = Math.min(
        gpu.limit("maxStorageBufferBindingSize"),
        options.maxBlockBytes ?? Number.POSITIVE_INFINITY,
      );
      const fit = Math.floor(maxBinding / (4 * Math.max(m, d)));
      const blockRows = Math.min(rows, fit >= gemmTile ? fit - (fit % gemmTile) : Math.max(1, fit));
      xBuffer = atLeast(xBuffer, "X", blockRows * d * 4);
      outBuffer = atLeast(outBuffer, "scores", blockRows * m * 4);
      for (let r0 = 0; r0 < rows; r0 += blockRows) {
        const n = Math.min(blockRows, rows - r0);
        gpu.write(xBuffer, x.subarray(r0 * d, (r0 + n) * d));
        encodeScores(gpu, xBuffer, wDevice, outBuffer, n, d, m);
        const block = await gpu.read(outBuffer, n * m * 4);
        result.set(new Float32Array(block), r0 * m);
      }
      return result;
    },
    markConstant(w: Float32Array) {
      constant.add(w);
    },
    async causalAttention(
      qkv: Float32Array,
      sequenceLengths: readonly number[] | Int32Array,
      shape: AttentionHeads,
    ): Promise<Float32Array> {
      const starts = sequenceStarts(sequenceLengths);
      const rows = starts.length;
      const width = shape.heads * shape.headSize;
      const stride = width + 2 * shape.kvHeads * shape.headSize;
      if (rows === 0) return new Float32Array(0);
      qkvBuffer = atLeast(qkvBuffer, "qkv", rows * stride * 4);
      startsBuffer = atLeast(startsBuffer, "sequence starts", rows * 4);
      attendedBuffer = atLeast(attendedBuffer, "attention output", rows * width * 4);
      gpu.write(qkvBuffer, qkv.subarray(0, rows * stride));
      gpu.write(startsBuffer, starts);
      encodeCausalAttention(gpu, qkvBuffer, startsBuffer, attendedBuffer, rows, shape);
      return new Float32Array(await gpu.read(attendedBuffer, rows * width * 4));
    },
    async dispose() {
      gpu.destroy();
    },
  };
}
