/**
 * WGSL for kernels that give one workgroup of `rowThreads` threads to each row of
 * an [m, d] matrix: thread `lid` owns columns c ≡ lid (mod rowThreads), and
 * `rowSum` adds one value per thread in a fixed tree order (every thread gets the
 * total). Call it from uniform control flow only (it holds barriers).
 */
export const rowThreads = 64;

export const rowSumWgsl = /* wgsl */ `
var<workgroup> rowPartial: array<f32, ${rowThreads}>;
fn rowSum(lid: u32, value: f32) -> f32 {
  rowPartial[lid] = value;
  workgroupBarrier();
  for (var width = ${rowThreads / 2}u; width > 0u; width >>= 1u) {
    if (lid < width) { rowPartial[lid] += rowPartial[lid + width]; }
    workgroupBarrier();
  }
  let total = rowPartial[0];
  workgroupBarrier();
  return total;
}`;
