/**
 * The radix select the GPU selections share (WGSL pieces): the cut of a top-k
 * over positive float32 scores is found from histograms of their bits, never by
 * sorting. A positive float's bits, read as a u32, order like its value, so the
 * k-th largest key is found digit by digit, highest first: three passes of 11,
 * 10 and 10 bits cover the 31 bits below the sign. After each pass the prefix of
 * the cut grows by one digit and `want` (how many keys of that prefix are still
 * to be taken) shrinks; after the last, the prefix is the cut's own bits and
 * `want` the number of ties at the cut to take. The first pass clamps `want`
 * to the number of positive keys, so with fewer positives than asked the cut is
 * the smallest positive and every positive is kept.
 *
 * Counts use integer atomics only (their totals do not depend on order), and
 * the scans are fixed-order, so the same scores give the same selection bits.
 */

/**
 * Invocations per workgroup of every selection kernel. 64 keeps a workgroup per
 * row of 4096 busy enough on a GPU, and SwiftShader (whose cost is the
 * invocations a barrier waits for) 3–4× faster than 256.
 */
export const selectWorkgroup = 64;
/** Histogram bins (2^11, the widest digit) and how many each invocation reads. */
export const histogramBins = 2048;
/** The digits of the radix select, highest first: [shift, width] over a key's 31 bits. */
export const radixDigits: readonly (readonly [number, number])[] = [
  [20, 11],
  [10, 10],
  [0, 10],
];
/** The cut when nothing is kept: above every key. */
export const noCut = 0xffffffff;

/** Values per segment of the workgroup scan: about √WG, so both of its sequential loops stay short. */
const segment = 2 ** Math.round(Math.log2(selectWorkgroup) / 2);

/** WGSL: sizes, the order key of a score, and a fixed-order workgroup scan of u32. */
export const radixCommonWgsl = /* wgsl */ `
const WG: u32 = ${selectWorkgroup}u;
const BINS: u32 = ${histogramBins}u;
const PER: u32 = ${histogramBins / selectWorkgroup}u;
const NO_CUT: u32 = ${noCut}u;
const SEGMENT: u32 = ${segment}u;
const SEGMENTS: u32 = WG / SEGMENT;

// A score's order key: its float bits when it is positive (they order like the values), 0 when it can never be
// selected (≤ 0 or NaN).
fn orderKey(v: f32) -> u32 {
  if (v > 0.0) { return bitcast<u32>(v); }
  return 0u;
}

var<workgroup> scanBuffer: array<u32, WG>;
var<workgroup> segmentTotals: array<u32, SEGMENTS>;

// The exclusive prefix sum of x over the workgroup's invocations (.x) and the total (.y), in a fixed order:
// SEGMENTS invocations each scan a segment of the values, then each invocation adds the totals of the
// segments before its own. Three barriers whatever WG is (Hillis–Steele needs 2·log2(WG) + 1).
// Call from uniform control flow.
fn scanExclusive(lid: u32, x: u32) -> vec2<u32> {
  scanBuffer[lid] = x;
  workgroupBarrier();
  if (lid < SEGMENTS) {
    var running = 0u;
    for (var i = lid * SEGMENT; i < (lid + 1u) * SEGMENT; i = i + 1u) {
      running = running + scanBuffer[i];
      scanBuffer[i] = running;
    }
    segmentTotals[lid] = running;
  }
  workgroupBarrier();
  let segment = lid / SEGMENT;
  var before = 0u;
  var total = 0u;
  for (var s = 0u; s < SEGMENTS; s = s + 1u) {
    before = before + select(0u, segmentTotals[s], s < segment);
    total = total + segmentTotals[s];
  }
  let inclusive = before + scanBuffer[lid];
  // a later call may overwrite the buffers only once every invocation has read them
  workgroupBarrier();
  return vec2<u32>(inclusive - x, total);
}
`;

/** WGSL: one step of the radix select over a histogram whose bins are spread PER to an invocation. */
export const radixPickWgsl = /* wgsl */ `
var<workgroup> picked: vec2<u32>;

// Invocation lid holds the counts of bins lid·PER … lid·PER + PER − 1. With want clamped to the histogram's total,
// returns the bin holding the want-th largest key (.x), how many keys of that bin are still wanted (.y; 0 when
// nothing is), and the clamped want (.z). Call from uniform control flow; the results are uniform.
fn pickBin(lid: u32, counts: array<u32, PER>, wantAsked: u32) -> vec3<u32> {
  var mine = 0u;
  for (var i = 0u; i < PER; i = i + 1u) { mine = mine + counts[i]; }
  let scan = scanExclusive(lid, mine);
  let want = min(wantAsked, scan.y);
  // keys in the bins of the invocations after this one: the larger keys
  var above = scan.y - scan.x - mine;
  if (lid == 0u) { picked = vec2<u32>(0u, 0u); }
  workgroupBarrier();
  if (want > above && want <= above + mine) {
    for (var i = PER; i > 0u; i = i - 1u) {
      let b = i - 1u;
      if (above + counts[b] >= want) {
        picked = vec2<u32>(lid * PER + b, want - above);
        break;
      }
      above = above + counts[b];
    }
  }
  let result = workgroupUniformLoad(&picked);
  return vec3<u32>(result, want);
}
`;

/** WGSL: a workgroup histogram of one digit of the keys that share the cut's prefix so far. */
export const radixHistogramWgsl = /* wgsl */ `
var<workgroup> histogram: array<atomic<u32>, BINS>;

fn clearHistogram(lid: u32) {
  for (var i = 0u; i < PER; i = i + 1u) { atomicStore(&histogram[lid * PER + i], 0u); }
}

// Counts key's digit [shift, shift + width) if its bits above the digit equal prefix.
fn countKey(key: u32, prefix: u32, shift: u32, width: u32) {
  if (key != 0u && (key >> (shift + width)) == prefix) {
    atomicAdd(&histogram[(key >> shift) & ((1u << width) - 1u)], 1u);
  }
}
`;

/**
 * WGSL: the position of a workgroup in a per-row dispatch folded by groupsFor(rows, 1)
 * (workgroup ids are uniform, so kernels may return early on it).
 */
export const rowOfWorkgroupWgsl = /* wgsl */ `
fn rowOf(wid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return wid.x + wid.y * groups.x;
}
`;

/** WGSL: adds a workgroup histogram into the binding `globalHistogram` (array<atomic<u32>>), non-zero bins only. */
export const radixFlushWgsl = /* wgsl */ `
fn flushHistogram(lid: u32) {
  for (var i = 0u; i < PER; i = i + 1u) {
    let c = atomicLoad(&histogram[lid * PER + i]);
    if (c != 0u) { atomicAdd(&globalHistogram[lid * PER + i], c); }
  }
}
`;
