/**
 * WGSL for a fixed-order tree sum over one workgroup: every invocation passes its
 * value and all receive the total. The pairing (lid, lid + s) never depends on
 * timing, so the same inputs give the same bits (DESIGN's determinism, no float
 * atomics). Call it from uniform control flow; `size` is the workgroup size, a
 * power of two.
 */
export function workgroupSumWgsl(size: number): string {
  return /* wgsl */ `
var<workgroup> partialSums: array<f32, ${size}>;

fn workgroupSum(lid: u32, v: f32) -> f32 {
  partialSums[lid] = v;
  workgroupBarrier();
  for (var s = ${size / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { partialSums[lid] = partialSums[lid] + partialSums[lid + s]; }
    workgroupBarrier();
  }
  let total = partialSums[0];
  // the next call may overwrite partialSums only once every invocation has read the total
  workgroupBarrier();
  return total;
}
`;
}

/** The threads of a kernel that gives one workgroup to each row of an [m, d] matrix (thread lid owns c ≡ lid mod rowThreads). */
export const rowThreads = 64;

/** WGSL: the linear id of a workgroup of a dispatch folded into [x, y] by gpu.ts groupsFor. */
export const linearGroupWgsl = /* wgsl */ `
fn linearGroup(wid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return wid.x + wid.y * groups.x;
}
`;
