import type { FloatArrayConstructor } from "../kernels/arrays.js";

/**
 * Buffers a training loop reuses from step to step. A step at (d, B) =
 * (768, 4096) builds several 12 MiB [B, d] arrays (x̃, x_c, x̂, G, AuxK's ê
 * and G_aux) and MiB-sized per-entry arrays; allocating them afresh costs the
 * kernel's zeroing and page faults on first write and then the collector's
 * time, more than the passes that fill them. The trainer owns one workspace;
 * whatever a step builds in it is valid only until the next step that uses
 * the same workspace, so callers that keep results pass none and get fresh
 * arrays.
 */
export class Workspace {
  private readonly buffers = new Map<string, Float32Array | Float64Array>();

  /** The buffer `name` with at least `length` elements of `ctor`, as a view of exactly `length`; contents left over. */
  take<C extends FloatArrayConstructor>(name: string, ctor: C, length: number): InstanceType<C> {
    let b = this.buffers.get(name);
    if (!(b instanceof ctor && b.length >= length)) {
      // A quarter's headroom when one grows: per-entry counts vary a little from step to step.
      b = new ctor(b instanceof ctor ? Math.max(length, Math.ceil(1.25 * b.length)) : length);
      this.buffers.set(name, b);
    }
    return (b.length === length ? b : b.subarray(0, length)) as InstanceType<C>;
  }
}

/** A `length`-element array to be overwritten whole: `name` in the workspace, or a fresh one without. */
export function scratch<C extends FloatArrayConstructor>(
  ws: Workspace | undefined,
  name: string,
  ctor: C,
  length: number,
): InstanceType<C> {
  return ws ? ws.take(name, ctor, length) : (new ctor(length) as InstanceType<C>);
}

/** As `scratch`, but all zeros. */
export function zeros<C extends FloatArrayConstructor>(
  ws: Workspace | undefined,
  name: string,
  ctor: C,
  length: number,
): InstanceType<C> {
  return ws
    ? (ws.take(name, ctor, length).fill(0) as InstanceType<C>)
    : (new ctor(length) as InstanceType<C>);
}
