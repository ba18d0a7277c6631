/**
 * The selections on the GPU, exactly as src/kernels/select.ts: BatchTopK (the
 * `count` largest positive scores of the batch), TopK per row, and AuxK's TopK
 * among the dead columns, written as compressed rows (DeviceCodes) with latent
 * ids ascending in a row. The cut is found by a radix select over the scores'
 * bits (radix-select.ts), never a sort; ties at the cut are taken first come,
 * first served in row-major order, as the reference does.
 *
 * BatchTopK: the digits' histograms over the whole batch (the first one built by
 * the score transform when fused), then per-row counts of keys above and at the
 * cut, one fixed-order scan over the rows (each row's share of the ties and its
 * start), and a pass that writes each row's winners in column order.
 * TopK: one workgroup per row finds the row's own cut (its own radix select in
 * workgroup memory), then a scan of the rows' kept counts and the same writing pass.
 *
 * Every index fits a u32 while rows·m < 2^32; the score matrix itself must fit
 * one storage binding (gpu.createBuffer says so when it does not: 4096 × 65536
 * float32 scores are 1 GiB).
 */
import type { DeviceCodes, StepShape } from "./device-arrays.js";
import { type Gpu, type GpuBuffer, GpuError, groupsFor } from "./gpu.js";
import {
  histogramBins,
  radixCommonWgsl,
  radixDigits,
  radixFlushWgsl,
  radixHistogramWgsl,
  radixPickWgsl,
  rowOfWorkgroupWgsl,
} from "./radix-select.js";
import { type DeviceScoreSpec, recordScoreTransform } from "./score-transform.js";
import { scratchBuffer } from "./scratch.js";
import { uniformWords } from "./uniform-words.js";

/**
 * How the per-row kernels read row t's i-th candidate: column i of P, or with
 * `params.among` column columns[i] (AuxK's dead latents). A flag rather than two
 * shaders: each compiled shader costs SwiftShader about half a second.
 */
function candidateWgsl(binding: number): string {
  return /* wgsl */ `
@group(0) @binding(${binding}) var<storage, read> columns: array<u32>;
fn columnOf(i: u32) -> u32 {
  if (params.among != 0u) { return columns[i]; }
  return i;
}`;
}

// ---------------------------------------------------------------------------
// BatchTopK: the cut over the whole batch

/** State of the batch-wide radix select, u32: [prefix so far, keys still wanted, cut, ties to take]. */
const stateWords = 4;

/** Zeroes the histogram and starts the select at `count` wanted. */
const startWgsl = /* wgsl */ `
struct Params { count: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> globalHistogram: array<u32>;
@group(0) @binding(2) var<storage, read_write> state: array<u32>;
${radixCommonWgsl}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  for (var i = 0u; i < PER; i = i + 1u) { globalHistogram[lid * PER + i] = 0u; }
  if (lid == 0u) {
    state[0] = 0u;
    state[1] = params.count;
    state[2] = NO_CUT;
    state[3] = 0u;
  }
}
`;

/** One digit's histogram of the batch's keys that share the prefix so far; a workgroup per row. */
const batchHistogramWgsl = /* wgsl */ `
struct Params { rows: u32, m: u32, shift: u32, width: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read> state: array<u32>;
@group(0) @binding(3) var<storage, read_write> globalHistogram: array<atomic<u32>>;
${radixCommonWgsl}
${radixHistogramWgsl}
${radixFlushWgsl}
${rowOfWorkgroupWgsl}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = rowOf(wid, groups);
  if (row >= params.rows) { return; }
  clearHistogram(lid);
  workgroupBarrier();
  let prefix = state[0];
  let base = row * params.m;
  for (var j = lid; j < params.m; j = j + WG) {
    countKey(orderKey(scores[base + j]), prefix, params.shift, params.width);
  }
  workgroupBarrier();
  flushHistogram(lid);
}
`;

/**
 * One step of the select on the batch's histogram (zeroed again for the next
 * digit); after the last digit, the cut, the ties to take and the smallest kept
 * score (+Inf when nothing is kept).
 */
const batchPickWgsl = /* wgsl */ `
struct Params { width: u32, last: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> globalHistogram: array<u32>;
@group(0) @binding(2) var<storage, read_write> state: array<u32>;
@group(0) @binding(3) var<storage, read_write> minKept: array<f32>;
${radixCommonWgsl}
${radixPickWgsl}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var counts: array<u32, PER>;
  for (var i = 0u; i < PER; i = i + 1u) {
    counts[i] = globalHistogram[lid * PER + i];
    globalHistogram[lid * PER + i] = 0u;
  }
  // read before the barriers of pickBin, written after them
  let prefix = state[0];
  let picked = pickBin(lid, counts, state[1]);
  if (lid == 0u) {
    let cut = (prefix << params.width) | picked.x;
    state[0] = cut;
    state[1] = picked.y;
    if (params.last != 0u) {
      var infinity = 0x7f800000u;
      if (picked.y > 0u) {
        state[2] = cut;
        state[3] = picked.y;
        minKept[0] = bitcast<f32>(cut);
      } else {
        state[2] = NO_CUT;
        state[3] = 0u;
        minKept[0] = bitcast<f32>(infinity);
      }
    }
  }
}
`;

/** Per row: how many keys lie above the batch's cut and how many at it. */
const batchCountWgsl = /* wgsl */ `
struct Params { rows: u32, m: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read> state: array<u32>;
@group(0) @binding(3) var<storage, read_write> rowAbove: array<u32>;
@group(0) @binding(4) var<storage, read_write> rowAt: array<u32>;
${radixCommonWgsl}
${rowOfWorkgroupWgsl}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = rowOf(wid, groups);
  if (row >= params.rows) { return; }
  let cut = state[2];
  let base = row * params.m;
  var above = 0u;
  var ties = 0u;
  for (var j = lid; j < params.m; j = j + WG) {
    let key = orderKey(scores[base + j]);
    above = above + select(0u, 1u, key > cut);
    ties = ties + select(0u, 1u, key == cut);
  }
  // two scans: 16-bit halves of one would overflow for m ≥ 2^16
  let aboveTotal = scanExclusive(lid, above).y;
  let atTotal = scanExclusive(lid, ties).y;
  if (lid == 0u) {
    rowAbove[row] = aboveTotal;
    rowAt[row] = atTotal;
  }
}
`;

/** WGSL: the rows [from, to) an invocation of the one-workgroup scans over rows handles. */
const rowChunkWgsl = /* wgsl */ `
fn rowChunk(lid: u32, rows: u32) -> vec2<u32> {
  let per = (rows + WG - 1u) / WG;
  let first = min(lid * per, rows);
  return vec2<u32>(first, min(first + per, rows));
}
`;

/**
 * One workgroup over all rows: each row's share of the ties (they go to the
 * rows in order), its cut, and its start (the exclusive scan of the kept counts).
 */
const batchScanWgsl = /* wgsl */ `
struct Params { rows: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> state: array<u32>;
@group(0) @binding(2) var<storage, read> rowAbove: array<u32>;
@group(0) @binding(3) var<storage, read> rowAt: array<u32>;
@group(0) @binding(4) var<storage, read_write> rowShare: array<u32>;
@group(0) @binding(5) var<storage, read_write> rowCut: array<u32>;
@group(0) @binding(6) var<storage, read_write> rowStart: array<u32>;
${radixCommonWgsl}
${rowChunkWgsl}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  let chunk = rowChunk(lid, params.rows);
  let cut = state[2];
  let ties = state[3];
  var mine = 0u;
  for (var t = chunk.x; t < chunk.y; t = t + 1u) { mine = mine + rowAt[t]; }
  var atBefore = scanExclusive(lid, mine).x;
  var kept = 0u;
  for (var t = chunk.x; t < chunk.y; t = t + 1u) {
    var share = 0u;
    if (ties > atBefore) { share = min(ties - atBefore, rowAt[t]); }
    rowShare[t] = share;
    rowCut[t] = cut;
    atBefore = atBefore + rowAt[t];
    kept = kept + rowAbove[t] + share;
  }
  let keptScan = scanExclusive(lid, kept);
  var start = keptScan.x;
  for (var t = chunk.x; t < chunk.y; t = t + 1u) {
    rowStart[t] = start;
    start = start + rowAbove[t] + rowShare[t];
  }
  if (lid == 0u) { rowStart[params.rows] = keptScan.y; }
}
`;

// ---------------------------------------------------------------------------
// TopK: a cut per row

/** One workgroup per row: the row's cut, how many ties at it to take, and how many it keeps. */
const digitsWgsl = radixDigits.map(([shift, width]) => `vec2<u32>(${shift}u, ${width}u)`).join(", ");
const rowSelectWgsl = /* wgsl */ `
struct Params { rows: u32, n: u32, m: u32, k: u32, among: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read_write> rowCut: array<u32>;
@group(0) @binding(3) var<storage, read_write> rowShare: array<u32>;
@group(0) @binding(4) var<storage, read_write> rowKept: array<u32>;
${candidateWgsl(5)}
${radixCommonWgsl}
${radixHistogramWgsl}
${radixPickWgsl}
${rowOfWorkgroupWgsl}

const DIGITS = array<vec2<u32>, ${radixDigits.length}>(${digitsWgsl});

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = rowOf(wid, groups);
  if (row >= params.rows) { return; }
  let base = row * params.m;
  clearHistogram(lid);
  workgroupBarrier();
  var prefix = 0u;
  var want = params.k;
  var kept = 0u;
  for (var d = 0u; d < ${radixDigits.length}u; d = d + 1u) {
    let shift = DIGITS[d].x;
    let width = DIGITS[d].y;
    for (var i = lid; i < params.n; i = i + WG) {
      countKey(orderKey(scores[base + columnOf(i)]), prefix, shift, width);
    }
    workgroupBarrier();
    var counts: array<u32, PER>;
    for (var b = 0u; b < PER; b = b + 1u) {
      counts[b] = atomicLoad(&histogram[lid * PER + b]);
      atomicStore(&histogram[lid * PER + b], 0u);
    }
    let picked = pickBin(lid, counts, want);
    if (d == 0u) { kept = picked.z; }
    prefix = (prefix << width) | picked.x;
    want = picked.y;
  }
  if (lid == 0u) {
    rowCut[row] = select(NO_CUT, prefix, kept > 0u);
    rowShare[row] = want;
    rowKept[row] = kept;
  }
}
`;

/** One workgroup over all rows: each row's start, the exclusive scan of the kept counts. */
const rowScanWgsl = /* wgsl */ `
struct Params { rows: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rowKept: array<u32>;
@group(0) @binding(2) var<storage, read_write> rowStart: array<u32>;
${radixCommonWgsl}
${rowChunkWgsl}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  let chunk = rowChunk(lid, params.rows);
  var kept = 0u;
  for (var t = chunk.x; t < chunk.y; t = t + 1u) { kept = kept + rowKept[t]; }
  let keptScan = scanExclusive(lid, kept);
  var start = keptScan.x;
  for (var t = chunk.x; t < chunk.y; t = t + 1u) {
    rowStart[t] = start;
    start = start + rowKept[t];
  }
  if (lid == 0u) { rowStart[params.rows] = keptScan.y; }
}
`;

// ---------------------------------------------------------------------------
// Writing the winners

/**
 * One workgroup per row writes its winners in column order: every key above the
 * row's cut, and the first `share` keys at it. Tiles of WG·PER candidates; the
 * entries before a candidate come from one scan of (above, at) counts packed in
 * 16-bit halves (a tile holds at most 2048).
 */
const writeWgsl = /* wgsl */ `
struct Params { rows: u32, n: u32, m: u32, among: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read> rowCut: array<u32>;
@group(0) @binding(3) var<storage, read> rowShare: array<u32>;
@group(0) @binding(4) var<storage, read> rowStart: array<u32>;
@group(0) @binding(5) var<storage, read_write> outIndex: array<u32>;
@group(0) @binding(6) var<storage, read_write> outValue: array<f32>;
${candidateWgsl(7)}
${radixCommonWgsl}
${rowOfWorkgroupWgsl}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = rowOf(wid, groups);
  if (row >= params.rows) { return; }
  let base = row * params.m;
  let cut = rowCut[row];
  let share = rowShare[row];
  let start = rowStart[row];
  var aboveRun = 0u;
  var atRun = 0u;
  for (var tile = 0u; tile < params.n; tile = tile + WG * PER) {
    let first = tile + lid * PER;
    var values: array<f32, PER>;
    var packed = 0u;
    for (var i = 0u; i < PER; i = i + 1u) {
      var v = 0.0;
      if (first + i < params.n) { v = scores[base + columnOf(first + i)]; }
      values[i] = v;
      let key = orderKey(v);
      packed = packed + select(0u, 1u, key > cut) + select(0u, 0x10000u, key == cut);
    }
    let scan = scanExclusive(lid, packed);
    // entries of the row before this candidate: above the cut, and at it (the first share of those are kept)
    var aboveBefore = aboveRun + (scan.x & 0xffffu);
    var tiesBefore = atRun + (scan.x >> 16u);
    for (var i = 0u; i < PER; i = i + 1u) {
      let key = orderKey(values[i]);
      if (key > cut) {
        let slot = start + aboveBefore + min(tiesBefore, share);
        outIndex[slot] = columnOf(first + i);
        outValue[slot] = values[i];
        aboveBefore = aboveBefore + 1u;
      } else if (key == cut) {
        if (tiesBefore < share) {
          let slot = start + aboveBefore + tiesBefore;
          outIndex[slot] = columnOf(first + i);
          outValue[slot] = values[i];
        }
        tiesBefore = tiesBefore + 1u;
      }
    }
    aboveRun = aboveRun + (scan.y & 0xffffu);
    atRun = atRun + (scan.y >> 16u);
  }
}
`;

// ---------------------------------------------------------------------------
// Recording

interface RowScratch {
  cut: GpuBuffer;
  share: GpuBuffer;
  /** BatchTopK: keys above the cut; TopK: entries kept */
  counts: GpuBuffer;
  /** BatchTopK: keys at the cut */
  at: GpuBuffer;
}

function rowScratch(gpu: Gpu, rows: number): RowScratch {
  const bytes = Math.max(1, rows) * 4;
  return {
    cut: scratchBuffer(gpu, "select row cut", bytes),
    share: scratchBuffer(gpu, "select row share", bytes),
    counts: scratchBuffer(gpu, "select row counts", bytes),
    at: scratchBuffer(gpu, "select row ties", bytes),
  };
}

/** Throws unless the scores and the codes fit the selection asked for. */
function checkShape(
  what: string,
  p: GpuBuffer,
  rows: number,
  m: number,
  out: DeviceCodes,
  most: number,
): void {
  if (!Number.isInteger(rows) || !Number.isInteger(m) || rows < 0 || m < 0 || rows * m > 0xffffffff)
    throw new GpuError(
      `${what} of ${rows}×${m} scores: rows·m must be a whole number below 2^32; use a smaller batch`,
    );
  if (p.bytes < rows * m * 4)
    throw new GpuError(`${what} of ${rows}×${m} scores: ${p.name} holds only ${p.bytes / 4} floats`);
  if (out.rows !== rows || out.rowStart.bytes < (rows + 1) * 4)
    throw new GpuError(
      `${what} of ${rows} rows: the codes are for ${out.rows} rows; allocate them for ${rows}`,
    );
  if (out.capacity < most || out.index.bytes < most * 4 || out.value.bytes < most * 4)
    throw new GpuError(
      `${what} of ${rows}×${m} scores may keep ${most} entries but the codes hold ${out.capacity}; allocate at least ${most}`,
    );
}

/** The columns binding of the per-row kernels: `columns`, or a placeholder they never read. */
function columnsBinding(gpu: Gpu, columns?: GpuBuffer): GpuBuffer {
  return columns ?? scratchBuffer(gpu, "select no columns", 4);
}

/** Records the writing pass, given each row's cut, ties to take and start. */
function recordWrite(
  gpu: Gpu,
  p: GpuBuffer,
  rows: number,
  n: number,
  m: number,
  scratch: RowScratch,
  out: DeviceCodes,
  columns?: GpuBuffer,
): void {
  gpu.dispatch(
    gpu.pipeline(writeWgsl, "write the selected"),
    [p, scratch.cut, scratch.share, out.rowStart, out.index, out.value, columnsBinding(gpu, columns)],
    groupsFor(rows, 1),
    uniformWords([rows, n, m, columns ? 1 : 0]),
  );
}

/** Records one digit's histogram of the batch's keys that share the cut's prefix so far. */
function recordBatchHistogram(
  gpu: Gpu,
  p: GpuBuffer,
  rows: number,
  m: number,
  state: GpuBuffer,
  histogram: GpuBuffer,
  [shift, width]: readonly [number, number],
): void {
  gpu.dispatch(
    gpu.pipeline(batchHistogramWgsl, "BatchTopK histogram"),
    [p, state, histogram],
    groupsFor(rows, 1),
    uniformWords([rows, m, shift, width]),
  );
}

/**
 * Records BatchTopK of p [rows, m]; with `transform`, p is first made from the
 * raw scores in place by the score transform, which also counts the first digit.
 */
function recordBatchTopK(
  gpu: Gpu,
  p: GpuBuffer,
  rows: number,
  m: number,
  count: number,
  out: DeviceCodes,
  minKept: GpuBuffer,
  transform?: { shape: StepShape; spec: DeviceScoreSpec },
): void {
  const what = "BatchTopK";
  if (!Number.isInteger(count) || count < 0 || count > 0xffffffff)
    throw new GpuError(`${what} of ${count} entries: the count must be a whole number below 2^32`);
  checkShape(what, p, rows, m, out, Math.min(count, rows * m));
  const histogram = scratchBuffer(gpu, "select histogram", histogramBins * 4);
  const state = scratchBuffer(gpu, "select state", stateWords * 4);
  const scratch = rowScratch(gpu, rows);
  gpu.dispatch(gpu.pipeline(startWgsl, "BatchTopK start"), [histogram, state], [1], uniformWords([count]));
  radixDigits.forEach((digit, d) => {
    if (d > 0) recordBatchHistogram(gpu, p, rows, m, state, histogram, digit);
    else if (transform) recordScoreTransform(gpu, p, transform.shape, transform.spec, histogram);
    else recordBatchHistogram(gpu, p, rows, m, state, histogram, digit);
    gpu.dispatch(
      gpu.pipeline(batchPickWgsl, "BatchTopK pick"),
      [histogram, state, minKept],
      [1],
      uniformWords([digit[1], d === radixDigits.length - 1 ? 1 : 0]),
    );
  });
  gpu.dispatch(
    gpu.pipeline(batchCountWgsl, "BatchTopK counts per row"),
    [p, state, scratch.counts, scratch.at],
    groupsFor(rows, 1),
    uniformWords([rows, m]),
  );
  gpu.dispatch(
    gpu.pipeline(batchScanWgsl, "BatchTopK rows"),
    [state, scratch.counts, scratch.at, scratch.share, scratch.cut, out.rowStart],
    [1],
    uniformWords([rows]),
  );
  recordWrite(gpu, p, rows, m, m, scratch, out);
}

/**
 * Records BatchTopK of p [rows, m] (selectBatchTopK): the `count` largest
 * positive entries of the batch into `out`, ties at the cut first come first
 * served in row-major order (all positives when fewer), and the smallest kept
 * value into `minKept` (f32 [1]; +Inf when nothing is kept).
 */
export function selectBatchTopKOnGpu(
  gpu: Gpu,
  p: GpuBuffer,
  rows: number,
  m: number,
  count: number,
  out: DeviceCodes,
  minKept: GpuBuffer,
): void {
  recordBatchTopK(gpu, p, rows, m, count, out, minKept);
}

/**
 * Records the score transform of `a` into p in place (applyScoreOnGpu) fused
 * with BatchTopK (selectBatchTopKOnGpu): the transform counts the first digit of
 * the radix select as it writes p, saving a pass over the scores. Same results
 * as the two one after the other.
 */
export function applyScoreSelectBatchTopKOnGpu(
  gpu: Gpu,
  a: GpuBuffer,
  shape: StepShape,
  spec: DeviceScoreSpec,
  count: number,
  out: DeviceCodes,
  minKept: GpuBuffer,
): void {
  recordBatchTopK(gpu, a, shape.rows, shape.m, count, out, minKept, { shape, spec });
}

/** TopK and TopK among columns: a cut per row, then the scan and the writing pass. */
function recordRowTopK(
  gpu: Gpu,
  what: string,
  p: GpuBuffer,
  rows: number,
  m: number,
  n: number,
  k: number,
  out: DeviceCodes,
  columns?: GpuBuffer,
): void {
  if (!Number.isInteger(k) || k < 0 || k > 0xffffffff)
    throw new GpuError(`${what} with k = ${k}: k must be a whole number below 2^32`);
  checkShape(what, p, rows, m, out, rows * Math.min(k, n));
  const scratch = rowScratch(gpu, rows);
  gpu.dispatch(
    gpu.pipeline(rowSelectWgsl, "TopK cut per row"),
    [p, scratch.cut, scratch.share, scratch.counts, columnsBinding(gpu, columns)],
    groupsFor(rows, 1),
    uniformWords([rows, n, m, k, columns ? 1 : 0]),
  );
  gpu.dispatch(
    gpu.pipeline(rowScanWgsl, "TopK rows"),
    [scratch.counts, out.rowStart],
    [1],
    uniformWords([rows]),
  );
  recordWrite(gpu, p, rows, n, m, scratch, out, columns);
}

/** Records TopK of p [rows, m] (selectTopK): the k largest positive entries of each row, ties in column order. */
export function selectTopKOnGpu(
  gpu: Gpu,
  p: GpuBuffer,
  rows: number,
  m: number,
  k: number,
  out: DeviceCodes,
): void {
  recordRowTopK(gpu, "TopK", p, rows, m, m, k, out);
}

/**
 * Records AuxK's selection (selectTopKAmong): each row's k largest positive
 * entries among `columns` (u32 [columnCount], ascending); indices are columns of p.
 */
export function selectTopKAmongOnGpu(
  gpu: Gpu,
  p: GpuBuffer,
  rows: number,
  m: number,
  columns: GpuBuffer,
  columnCount: number,
  k: number,
  out: DeviceCodes,
): void {
  if (!Number.isInteger(columnCount) || columnCount < 0 || columnCount > m || columns.bytes < columnCount * 4)
    throw new GpuError(
      `TopK among ${columnCount} of ${m} columns: ${columns.name} holds ${columns.bytes / 4}; pass at most m columns`,
    );
  recordRowTopK(gpu, "TopK among columns", p, rows, m, columnCount, k, out, columns);
}
