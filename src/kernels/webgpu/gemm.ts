/**
 * The score product A[rows, m] = X[rows, d] · Wᵀ for W[m, d] (both row-major, one
 * row per latent), the only O(B·m·d) kernel of a step, as a tiled fp32 GEMM.
 *
 * Each workgroup of 16 × 16 threads computes a 128 × 128 tile of A; each thread
 * an 8 × 8 register block (rows ty·4 + {0..3} and 64 + ty·4 + {0..3}, columns
 * likewise with tx, so neighbouring threads read neighbouring words of the
 * workgroup tiles). The tiles step through d in slices of 8: every thread loads one
 * vec4 of X and one of W per slice (vec4 loads when d % 4 = 0, four bounds-checked
 * scalars otherwise), stored transposed ([k][row]) so the inner loop reads vec4s;
 * the next slice's loads are issued before the current slice's arithmetic.
 * Workgroup memory: 2 × 8 × 128 floats = 8 KiB.
 *
 * Each output is one sequential fp32 sum over c = 0..d−1 (fused multiply-adds in
 * order), so the same inputs give the same bits on the same adapter.
 */
import { type Gpu, type GpuBuffer, GpuError, maxGroupsPerDimension } from "./gpu.js";

/** Rows and columns of A per workgroup. */
export const gemmTile = 128;
const sliceK = 8;

/** The WGSL of the product; `vec4` reads X and W as vec4s (needs d % 4 = 0). */
function scoresWgsl(vec4: boolean): string {
  const elem = vec4 ? "vec4<f32>" : "f32";
  // The 8 × 8 block as 16 vec4 accumulators acc{r}_{h}: row slot r (0..7), column half h.
  const accs: string[] = [];
  const fmas: string[] = [];
  const stores: string[] = [];
  for (let r = 0; r < 8; r++) {
    const a = r < 4 ? `a0.${"xyzw"[r]}` : `a1.${"xyzw"[r - 4]}`;
    const rowExpr = `row0 + ${r < 4 ? "" : "64u + "}ty * 4u + ${r % 4}u`;
    stores.push(`  { let r = ${rowExpr};\n    if (r < p.rows) {`);
    for (let h = 0; h < 2; h++) {
      accs.push(`  var acc${r}_${h} = vec4<f32>(0.0);`);
      fmas.push(`      acc${r}_${h} = fma(vec4<f32>(${a}), b${h}, acc${r}_${h});`);
      stores.push(`      store4(r, col0 + ${h * 64}u + tx * 4u, acc${r}_${h});`);
    }
    stores.push("    }\n  }");
  }
  // Four floats of row r of `a` (with `count` rows) from column c on, zeros past the edges.
  const load = (a: string) =>
    vec4
      ? `if (r < count && c < p.d) { v = ${a}[(r * p.d + c) / 4u]; }`
      : `if (r < count) { for (var i = 0u; i < 4u; i++) { if (c + i < p.d) { v[i] = ${a}[r * p.d + c + i]; } } }`;
  return /* wgsl */ `
struct Params { rows: u32, d: u32, m: u32, rowBase: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<${elem}>;
@group(0) @binding(2) var<storage, read> w: array<${elem}>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// [k][row / 4] and [k][col / 4]: slice k's 128 rows of X and 128 rows of W.
var<workgroup> xs: array<vec4<f32>, ${(sliceK * gemmTile) / 4}>;
var<workgroup> ws: array<vec4<f32>, ${(sliceK * gemmTile) / 4}>;

fn loadX(r: u32, c: u32, count: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  ${load("x")}
  return v;
}

fn loadW(r: u32, c: u32, count: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  ${load("w")}
  return v;
}

fn store4(r: u32, c: u32, v: vec4<f32>) {
  let base = r * p.m + c;
  for (var i = 0u; i < 4u; i++) { if (c + i < p.m) { out[base + i] = v[i]; } }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let tx = lid.x;
  let ty = lid.y;
  let row0 = p.rowBase + wg.y * ${gemmTile}u;
  let col0 = wg.x * ${gemmTile}u;
  // This thread loads row li / 2 of each tile, columns (li % 2) · 4 .. + 3 of the slice.
  let lr = li / 2u;
  let lk = (li % 2u) * 4u;
  let xr = row0 + lr;
  let wr = col0 + lr;
${accs.join("\n")}
  var xv = loadX(xr, lk, p.rows);
  var wv = loadW(wr, lk, p.m);
  for (var k0 = 0u; k0 < p.d; k0 += ${sliceK}u) {
    for (var i = 0u; i < 4u; i++) {
      xs[(lk + i) * ${gemmTile / 4}u + lr / 4u][lr % 4u] = xv[i];
      ws[(lk + i) * ${gemmTile / 4}u + lr / 4u][lr % 4u] = wv[i];
    }
    workgroupBarrier();
    // The next slice's loads go out before this slice's arithmetic, which hides their latency.
    xv = loadX(xr, k0 + ${sliceK}u + lk, p.rows);
    wv = loadW(wr, k0 + ${sliceK}u + lk, p.m);
    for (var k = 0u; k < ${sliceK}u; k++) {
      let a0 = xs[k * ${gemmTile / 4}u + ty];
      let a1 = xs[k * ${gemmTile / 4}u + 16u + ty];
      let b0 = ws[k * ${gemmTile / 4}u + tx];
      let b1 = ws[k * ${gemmTile / 4}u + 16u + tx];
${fmas.join("\n")}
    }
    workgroupBarrier();
  }
${stores.join("\n")}
}
`;
}

/**
 * Records out[rows, m] = X[rows, d] · Wᵀ (W[m, d]) on the GPU. `x` holds at least
 * rows·d floats, `w` m·d, `out` rows·m. Each buffer is one binding, so `out` must fit
 * maxStorageBufferBindingSize (Gpu.createBuffer refuses larger ones): for a score
 * matrix beyond it (4096 × 65536 floats is 1 GiB) the caller splits the work in row
 * blocks (webgpu-kernels.ts does). Row counts beyond one dispatch dimension are
 * recorded as several dispatches.
 */
export function encodeScores(
  gpu: Gpu,
  x: GpuBuffer,
  w: GpuBuffer,
  out: GpuBuffer,
  rows: number,
  d: number,
  m: number,
): void {
  if (rows * d * 4 > x.bytes || m * d * 4 > w.bytes || rows * m * 4 > out.bytes)
    throw new GpuError(
      `the score product of X[${rows}, ${d}] and W[${m}, ${d}] needs more than ${x.name} (${x.bytes} B), ` +
        `${w.name} (${w.bytes} B) or ${out.name} (${out.bytes} B) hold`,
    );
  if (rows === 0 || m === 0) return;
  const columnGroups = Math.ceil(m / gemmTile);
  if (columnGroups > maxGroupsPerDimension)
    throw new GpuError(
      `the score product has m = ${m} columns, over the ${maxGroupsPerDimension * gemmTile} one dispatch covers; ` +
        "use a smaller dictionary",
    );
  if (d === 0) {
    gpu.clear(out);
    return;
  }
  const pipeline = gpu.pipeline(scoresWgsl(d % 4 === 0), `scores X·Wᵀ (${d % 4 === 0 ? "vec4" : "scalar"})`);
  const rowsPerDispatch = maxGroupsPerDimension * gemmTile;
  for (let rowBase = 0; rowBase < rows; rowBase += rowsPerDispatch) {
    const blockRows = Math.min(rowsPerDispatch, rows - rowBase);
    gpu.dispatch(
      pipeline,
      [x, w, out],
      [columnGroups, Math.ceil(blockRows / gemmTile)],
      new Uint32Array([rows, d, m, rowBase]),
    );
  }
}
