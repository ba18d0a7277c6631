/// <reference types="@webgpu/types" />
/**
 * One WebGPU device and the few things every cosae kernel does with it: storage
 * buffers, cached compute pipelines, dispatches recorded into one command
 * encoder (submitted together), and read-backs. It runs unchanged in Node (the
 * `webgpu` package, node-gpu.ts) and in a browser tab (navigator.gpu).
 *
 * Failures never give a wrong result: an out-of-memory or validation error from
 * any recorded work, or a lost device, makes the next `read`/`flush` throw a
 * GpuError that names the adapter and the sizes asked for.
 */

/** GPUBufferUsage's bits, so this file needs no WebGPU globals (Node defines them only on request). */
const usage = { mapRead: 0x1, copySrc: 0x4, copyDst: 0x8, uniform: 0x40, storage: 0x80 } as const;
const mapModeRead = 0x1;

/** A WebGPU failure, worded for the user: what was asked, of which adapter. */
export class GpuError extends Error {
  override readonly name = "GpuError";
}

/** The largest workgroup count in one dimension that every adapter accepts. */
export const maxGroupsPerDimension = 65535;

/** The dispatch size covering `count` invocations of `perGroup` each, folded into y when x would overflow. */
export function groupsFor(count: number, perGroup: number): [number, number] {
  const groups = Math.max(1, Math.ceil(count / perGroup));
  if (groups <= maxGroupsPerDimension) return [groups, 1];
  const y = Math.ceil(groups / maxGroupsPerDimension);
  return [Math.ceil(groups / y), y];
}

/** A storage buffer and what it was made for (the names appear in error messages). */
export interface GpuBuffer {
  readonly buffer: GPUBuffer;
  readonly name: string;
  readonly bytes: number;
}

/** A binding of one dispatch: a buffer, or a typed array uploaded into a fresh buffer for it. */
export type Binding = GpuBuffer;

export class Gpu {
  private encoder: GPUCommandEncoder | null = null;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly live = new Set<GpuBuffer>();
  private lostReason: string | null = null;
  /** the buffers created inside allocateAll, to free if it fails */
  private allocated: GpuBuffer[] | null = null;
  /** set by destroy(): the device's loss is then expected */
  private destroyed = false;
  private pendingScopes: Promise<GPUError | null>[] = [];
  private pendingWhat: string[] = [];
  /** GPU time per phase of the dispatches (startProfiling), for the benchmark */
  private profiler: PassProfiler | null = null;
  /** uniform buffers of the recorded but unsubmitted work, destroyed after it is submitted */
  private transient: GPUBuffer[] = [];

  constructor(
    readonly device: GPUDevice,
    /** the adapter in words: vendor, architecture, device, description as the driver reports them */
    readonly adapterName: string,
  ) {
    device.lost.then((info) => {
      if (!this.destroyed) this.lostReason = `${info.reason}${info.message ? `: ${info.message}` : ""}`;
    });
  }

  /** Bytes held by live buffers. */
  get bytesInUse(): number {
    let n = 0;
    for (const b of this.live) n += b.bytes;
    return n;
  }

  /** The device limit `name`. */
  limit(name: keyof GPUSupportedLimits): number {
    return this.device.limits[name] as number;
  }

  /** A zero-filled storage buffer of `bytes` (rounded up to 4), readable back and writable from the host. */
  createBuffer(name: string, bytes: number): GpuBuffer {
    this.checkLost();
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const maxBinding = this.limit("maxStorageBufferBindingSize");
    if (size > maxBinding) {
      throw new GpuError(
        `${name} needs ${formatBytes(size)}, over the largest storage buffer ${this.adapterName} allows ` +
          `(${formatBytes(maxBinding)}); use a smaller batch or dictionary`,
      );
    }
    this.device.pushErrorScope("out-of-memory");
    const buffer = this.device.createBuffer({
      size,
      usage: usage.storage | usage.copySrc | usage.copyDst,
      label: name,
    });
    this.watch(this.device.popErrorScope(), `allocating ${name} (${formatBytes(size)})`);
    const handle = { buffer, name, bytes: size };
    this.live.add(handle);
    this.allocated?.push(handle);
    return handle;
  }

  /** Runs `make`, which creates buffers; if it throws, frees the ones it had created. */
  allocateAll<T>(make: () => T): T {
    const outer = this.allocated;
    this.allocated = [];
    try {
      const made = make();
      outer?.push(...this.allocated);
      return made;
    } catch (error) {
      for (const b of this.allocated) this.release(b);
      throw error;
    } finally {
      this.allocated = outer;
    }
  }

  /** A storage buffer holding a copy of `data`. */
  upload(name: string, data: ArrayBufferView): GpuBuffer {
    const b = this.createBuffer(name, data.byteLength);
    this.write(b, data);
    return b;
  }

  /** Copies `data` into `target` at byte `offset` (ordered before every dispatch recorded after it). */
  write(target: GpuBuffer, data: ArrayBufferView, offset = 0): void {
    this.checkLost();
    if (offset + data.byteLength > target.bytes)
      throw new GpuError(
        `writing ${data.byteLength} bytes at ${offset} overflows ${target.name} (${target.bytes} bytes)`,
      );
    // queue.writeBuffer runs at submit time, before the submitted commands: record
    // what is pending first so the write lands after the work recorded so far.
    this.flushEncoder();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const padded = bytes.byteLength % 4 === 0 ? bytes : padTo4(bytes);
    this.device.queue.writeBuffer(target.buffer, offset, padded);
  }

  /** Sets `target` to zeros. */
  clear(target: GpuBuffer): void {
    this.encoderNow().clearBuffer(target.buffer);
  }

  /** Copies `bytes` from `source` to `target`, recorded in order with the dispatches. */
  copy(source: GpuBuffer, target: GpuBuffer, bytes = Math.min(source.bytes, target.bytes)): void {
    this.encoderNow().copyBufferToBuffer(source.buffer, 0, target.buffer, 0, bytes);
  }

  /** The compute pipeline of a WGSL module's `main`, compiled once per source text. */
  pipeline(wgsl: string, label = "cosae kernel"): GPUComputePipeline {
    let p = this.pipelines.get(wgsl);
    if (!p) {
      this.device.pushErrorScope("validation");
      const module = this.device.createShaderModule({ code: wgsl, label });
      p = this.device.createComputePipeline({
        layout: "auto",
        compute: { module, entryPoint: "main" },
        label,
      });
      this.watch(this.device.popErrorScope(), `compiling ${label}`);
      this.pipelines.set(wgsl, p);
    }
    return p;
  }

  /**
   * Records one dispatch of `pipeline` over `groups` workgroups. Bindings of group 0:
   * with `params` (a few 32-bit words: sizes and constants), binding 0 is a uniform
   * buffer holding them and the buffers follow from binding 1; without, from 0.
   */
  dispatch(
    pipeline: GPUComputePipeline,
    buffers: readonly Binding[],
    groups: readonly [number, number?, number?],
    params?: ArrayBufferView,
  ): void {
    this.checkLost();
    const entries: GPUBindGroupEntry[] = [];
    if (params) {
      const size = Math.max(16, Math.ceil(params.byteLength / 16) * 16);
      // Filled at creation, so it needs no queue write (which would have to be ordered with the work).
      const uniform = this.device.createBuffer({ size, usage: usage.uniform, mappedAtCreation: true });
      new Uint8Array(uniform.getMappedRange()).set(
        new Uint8Array(params.buffer, params.byteOffset, params.byteLength),
      );
      uniform.unmap();
      this.transient.push(uniform);
      entries.push({ binding: 0, resource: { buffer: uniform } });
    }
    const first = entries.length;
    buffers.forEach((b, i) => {
      entries.push({ binding: first + i, resource: { buffer: b.buffer } });
    });
    this.device.pushErrorScope("validation");
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    this.watch(this.device.popErrorScope(), `binding ${buffers.map((b) => b.name).join(", ")}`);
    const pass = this.encoderNow().beginComputePass(this.profiler?.passTimestamps());
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(groups[0], groups[1] ?? 1, groups[2] ?? 1);
    pass.end();
  }

  /**
   * From now on, times every dispatch on the GPU (timestamp queries) and charges it
   * to the phase last named by `phase()`; `takeProfile` reads the totals. False when
   * the adapter has no timestamps.
   */
  startProfiling(): boolean {
    if (!this.device.features.has("timestamp-query")) return false;
    this.profiler ??= new PassProfiler(this.device);
    return true;
  }

  /** Names the phase the following dispatches belong to (only read while profiling). */
  phase(name: string): void {
    this.profiler?.setPhase(name);
  }

  /** Milliseconds of GPU time per phase since the last call (empty unless profiling). */
  async takeProfile(): Promise<Map<string, number>> {
    if (!this.profiler) return new Map();
    const resolved = this.profiler.resolve(this.encoderNow());
    if (!resolved) return new Map();
    const ticks = new BigUint64Array(await this.read(resolved, resolved.bytes));
    return this.profiler.totals(ticks);
  }

  /** Submits the recorded work; throws on any error it or earlier work raised. */
  async flush(): Promise<void> {
    this.flushEncoder();
    await this.device.queue.onSubmittedWorkDone();
    await this.raisePending();
  }

  /** The first `bytes` of `source` (all of it by default), after all recorded work. */
  async read(source: GpuBuffer, bytes = source.bytes): Promise<ArrayBuffer> {
    this.checkLost();
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.device.createBuffer({ size, usage: usage.mapRead | usage.copyDst });
    this.encoderNow().copyBufferToBuffer(source.buffer, 0, staging, 0, size);
    this.flushEncoder();
    try {
      await staging.mapAsync(mapModeRead);
    } catch (error) {
      this.checkLost();
      throw new GpuError(
        `reading back ${source.name} from ${this.adapterName} failed: ${(error as Error).message}`,
      );
    }
    await this.raisePending();
    const copy = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    staging.destroy();
    return copy;
  }

  async readFloat32(source: GpuBuffer, length = source.bytes / 4): Promise<Float32Array> {
    return new Float32Array(await this.read(source, length * 4));
  }

  async readUint32(source: GpuBuffer, length = source.bytes / 4): Promise<Uint32Array> {
    return new Uint32Array(await this.read(source, length * 4));
  }

  /** Frees a buffer now rather than when it is collected. */
  release(b: GpuBuffer | null | undefined): void {
    if (!b || !this.live.delete(b)) return;
    b.buffer.destroy();
  }

  /** Frees every buffer and the device; the Gpu cannot be used afterwards. */
  destroy(): void {
    this.destroyed = true;
    for (const b of this.live) b.buffer.destroy();
    this.live.clear();
    this.device.destroy();
  }

  private encoderNow(): GPUCommandEncoder {
    this.checkLost();
    this.encoder ??= this.device.createCommandEncoder();
    return this.encoder;
  }

  private flushEncoder(): void {
    if (!this.encoder) return;
    // A recorded pass's errors (a dispatch over a limit, a bad binding) surface at finish or submit.
    this.device.pushErrorScope("validation");
    this.device.queue.submit([this.encoder.finish()]);
    this.watch(this.device.popErrorScope(), "running the recorded kernels");
    this.encoder = null;
    for (const b of this.transient) b.destroy();
    this.transient = [];
  }

  private watch(scope: Promise<GPUError | null>, what: string): void {
    this.pendingScopes.push(scope);
    this.pendingWhat.push(what);
  }

  private async raisePending(): Promise<void> {
    const scopes = this.pendingScopes;
    const whats = this.pendingWhat;
    this.pendingScopes = [];
    this.pendingWhat = [];
    const errors = await Promise.all(scopes);
    this.checkLost();
    errors.forEach((error, i) => {
      if (!error) return;
      const oom = error.constructor.name.includes("OutOfMemory") || /out of memory/i.test(error.message);
      throw new GpuError(
        oom
          ? `out of GPU memory on ${this.adapterName} ${whats[i]}, with ${formatBytes(this.bytesInUse)} already ` +
              `allocated by cosae; use a smaller batch or dictionary`
          : `WebGPU error on ${this.adapterName} ${whats[i]}: ${error.message}`,
      );
    });
  }

  private checkLost(): void {
    if (this.lostReason !== null)
      throw new GpuError(
        `the GPU device (${this.adapterName}) was lost (${this.lostReason}); its results are discarded. ` +
          `Resume from the last checkpoint with --resume`,
      );
  }
}

/**
 * Begin and end timestamps of up to `capacity` compute passes, each charged to a
 * named phase. Queries past the capacity are not timed (their phase is then short).
 */
class PassProfiler {
  private readonly capacity = 2048; // WebGPU allows 4096 queries per set: two per pass
  private readonly querySet: GPUQuerySet;
  private readonly resolved: GpuBuffer;
  private readonly phases: string[] = [];
  private current = "unnamed";

  constructor(device: GPUDevice) {
    this.querySet = device.createQuerySet({ type: "timestamp", count: 2 * this.capacity });
    const bytes = 16 * this.capacity;
    const buffer = device.createBuffer({
      size: bytes,
      usage: usage.storage | usage.copySrc | 0x200 /* QUERY_RESOLVE */,
    });
    this.resolved = { buffer, name: "pass timestamps", bytes };
  }

  setPhase(name: string): void {
    this.current = name;
  }

  passTimestamps(): GPUComputePassDescriptor | undefined {
    const i = this.phases.length;
    if (i >= this.capacity) return undefined;
    this.phases.push(this.current);
    return {
      timestampWrites: {
        querySet: this.querySet,
        beginningOfPassWriteIndex: 2 * i,
        endOfPassWriteIndex: 2 * i + 1,
      },
    };
  }

  /** Records the resolution of the queries written so far; null if none. */
  resolve(encoder: GPUCommandEncoder): GpuBuffer | null {
    if (this.phases.length === 0) return null;
    encoder.resolveQuerySet(this.querySet, 0, 2 * this.phases.length, this.resolved.buffer, 0);
    return { ...this.resolved, bytes: 16 * this.phases.length };
  }

  totals(ticks: BigUint64Array): Map<string, number> {
    const out = new Map<string, number>();
    this.phases.forEach((phase, i) => {
      const ns = Number(ticks[2 * i + 1]! - ticks[2 * i]!);
      out.set(phase, (out.get(phase) ?? 0) + Math.max(ns, 0) / 1e6);
    });
    this.phases.length = 0;
    return out;
  }
}

/** The adapter in words, from its GPUAdapterInfo. */
export function describeAdapter(info: GPUAdapterInfo | undefined): string {
  if (!info) return "an unnamed WebGPU adapter";
  const parts = [info.vendor, info.architecture, info.device, info.description].filter(
    (s) => s && s.length > 0,
  );
  return parts.length > 0 ? [...new Set(parts)].join(" ") : "an unnamed WebGPU adapter";
}

/**
 * Opens a device on `gpu` (navigator.gpu, or node-gpu.ts's), asking for the adapter's
 * own buffer and workgroup-memory limits rather than WebGPU's small defaults.
 */
export async function openGpu(gpu: GPU, adapterHint = ""): Promise<Gpu> {
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) throw new GpuError(`no WebGPU adapter found${adapterHint ? `: ${adapterHint}` : ""}`);
  const name = describeAdapter(adapter.info);
  const wanted = [
    "maxStorageBufferBindingSize",
    "maxBufferSize",
    "maxComputeWorkgroupStorageSize",
    "maxComputeInvocationsPerWorkgroup",
    "maxComputeWorkgroupSizeX",
    "maxStorageBuffersPerShaderStage",
  ] as const;
  const requiredLimits: Record<string, number> = {};
  for (const key of wanted) requiredLimits[key] = adapter.limits[key];
  let device: GPUDevice;
  try {
    // Timestamps give the benchmark its per-phase GPU times; optional, as adapters may lack them.
    const requiredFeatures: GPUFeatureName[] = adapter.features.has("timestamp-query")
      ? ["timestamp-query"]
      : [];
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: "cosae" });
  } catch (error) {
    throw new GpuError(`could not open a device on ${name}: ${(error as Error).message}`);
  }
  return new Gpu(device, name);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 2 ** 10) return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
  return `${bytes} B`;
}

function padTo4(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
  out.set(bytes);
  return out;
}
