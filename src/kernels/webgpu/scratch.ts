import type { Gpu, GpuBuffer } from "./gpu.js";

/**
 * Scratch buffers a kernel needs between its own dispatches (partial sums), kept
 * per device by name and reused by every later call: their contents never outlive
 * the call that recorded them, and recorded dispatches run in order, so sharing is
 * safe. A buffer outgrown is not destroyed (work recorded but not yet submitted
 * may still use it); it is freed with the device.
 */
const pools = new WeakMap<Gpu, Map<string, GpuBuffer>>();

export function scratchBuffer(gpu: Gpu, name: string, bytes: number): GpuBuffer {
  let pool = pools.get(gpu);
  if (!pool) {
    pool = new Map();
    pools.set(gpu, pool);
  }
  let b = pool.get(name);
  if (!b || b.bytes < bytes) {
    b = gpu.createBuffer(`scratch ${name}`, bytes);
    pool.set(name, b);
  }
  return b;
}
