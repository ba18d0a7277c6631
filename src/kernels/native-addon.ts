import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { EntrySums } from "./entry-terms.js";
import type { LatentBackwardArgs } from "./kernels.js";

/**
 * The compiled addon (native/*.cc, built by scripts/build-native.mjs into
 * native/build/Release). Loading never throws: `loadNativeAddon` says why it is
 * unavailable instead, so callers can fall back to onnxruntime.
 */
export interface NativeAddon {
  /** the product behind denseScores, chosen at build time (scripts/build-native.mjs) */
  readonly gemm: "openblas" | "cosae";
  /** the micro-kernel of cosae's own product: "avx512" or "portable" */
  readonly ownGemmKernel: string;
  setThreads(threads: number): number;
  denseScores(x: Float32Array, w: Float32Array, rows: number, d: number, m: number, out: Float32Array): void;
  /** cosae's own product (native/gemm.cc), whichever product denseScores uses */
  ownDenseScores(
    x: Float32Array,
    w: Float32Array,
    rows: number,
    d: number,
    m: number,
    out: Float32Array,
  ): void;
  /** madvise(MADV_HUGEPAGE) on the array's 2 MiB-aligned interior, before it is first written; bytes advised */
  adviseHugePages(a: Float32Array): number;
  applyScore(a: Float32Array, rows: number, m: number, spec: ScoreFields): void;
  applyScoreSelectBatchTopK(
    a: Float32Array,
    rows: number,
    m: number,
    spec: ScoreFields,
    count: number,
  ): NativeSparse;
  selectBatchTopK(p: Float32Array, rows: number, m: number, count: number): NativeSparse;
  selectTopK(p: Float32Array, rows: number, m: number, k: number): NativeSparse;
  selectTopKAmong(p: Float32Array, rows: number, m: number, columns: Int32Array, k: number): NativeSparse;
  selectAboveThreshold(p: Float32Array, rows: number, m: number, threshold: Float64Array): NativeSparse;
  sparseDecode(...args: [...CodesArgs, w: Float32Array, d: number, out: Float32Array]): void;
  sparseAccumulate(...args: [...CodesArgs, x: Float32Array, d: number, out: Float32Array]): void;
  transposeCodes(...args: [...CodesArgs, m: number]): {
    start: Int32Array;
    entry: Int32Array;
    token: Int32Array;
  };
  latentBackward(...args: [...OrderArgs, arrays: LatentBackwardArgs, d: number, overwrite: number]): void;
  residualUpstream(
    target: Float32Array,
    estimate: Float32Array,
    weight: Float64Array,
    rows: number,
    d: number,
    coef: number,
    upstream: Float32Array,
    tokenSse: Float64Array,
  ): void;
  entryCoefficients(
    ...args: [
      ...CodesArgs,
      terms: EntryTermFields,
      out: { decoderCoef: Float32Array; encoderScale: Float64Array },
    ]
  ): void;
  entryReductions(
    ...args: [
      ...CodesArgs,
      terms: EntryTermFields,
      dots: { upstreamDot: Float64Array; encoderDot: Float64Array; encoderScale: Float64Array },
      sums: EntrySums,
    ]
  ): void;
  centredSumOfSquares(v: Float32Array, rows: number, d: number): number;
  weightedRowSum(x: Float32Array, coef: Float64Array, n: number, d: number, out: Float64Array): void;
  adamUpdate(
    param: Float32Array,
    grad: Float32Array,
    first: Float32Array,
    second: Float32Array,
    ...step: AdamStepArgs
  ): void;
  adamUpdateOnSphere(
    decoder: Float32Array,
    grad: Float32Array,
    first: Float32Array,
    second: Float32Array,
    d: number,
    ...step: AdamStepArgs
  ): void;
  adamUpdateRowNorms(
    param: Float32Array,
    grad: Float32Array,
    first: Float32Array,
    second: Float32Array,
    d: number,
    norms: Float64Array,
    ...step: AdamStepArgs
  ): void;
  centreRows(
    x: Float32Array,
    invScale: number,
    bDec: Float32Array,
    rows: number,
    d: number,
    xs: Float32Array,
    xc: Float32Array,
    norm: Float64Array,
  ): void;
  rowNorms(w: Float32Array, m: number, d: number, out: Float64Array): void;
  projectToTangent(decoder: Float32Array, grad: Float32Array, d: number): void;
  normaliseRows(decoder: Float32Array, d: number): void;
}

/**
 * The EntryTerms of entry-terms.ts as the addon reads them, by name (native/addon.cc entry_terms):
 * the score as resolved flags, m, equivariant 0 / 1, and empty scale / power for "all 1".
 */
export interface EntryTermFields extends ScoreFlags {
  m: number;
  equivariant: number;
  nu: number;
  eps: number;
  norm: Float64Array;
  logRatio: Float64Array;
  gain: Float64Array;
  encoderNorm: Float64Array;
  alpha: Float64Array;
  scale: Float64Array;
  power: Float64Array;
}

/** A score's facts (score-family.ts) as the addon's flags: cosine 0 / 1; alphaMode 0 fixed, 1 global, 2 per latent. */
export interface ScoreFlags {
  cosine: number;
  alphaMode: number;
}

/** Adam's constants for one step, as native.ts computes them from adam.ts */
export type AdamStepArgs = [
  beta1: number,
  beta2: number,
  oneMinusBeta1: number,
  oneMinusBeta2: number,
  step: number,
  correction2: number,
  epsilon: number,
];

/** The ScoreSpec of score-transform.ts as the addon reads it, by name (native/addon.cc score_spec). */
export interface ScoreFields extends ScoreFlags {
  bias: Float32Array;
  gain: Float64Array;
  encoderNorm: Float64Array;
  alpha: Float64Array;
  norm: Float64Array;
  nu: number;
  eps: number;
}

/** rowStart, index, value, rows */
export type CodesArgs = [rowStart: Int32Array, index: Int32Array, value: Float32Array, rows: number];

/** start, entry, token, m (a LatentOrder) */
export type OrderArgs = [start: Int32Array, entry: Int32Array, token: Int32Array, m: number];

export interface NativeSparse {
  rowStart: Int32Array;
  index: Int32Array;
  value: Float32Array;
}

export const nativeAddonPath = fileURLToPath(
  new URL("../../../native/build/Release/cosae_native.node", import.meta.url),
);

let cached: { addon: NativeAddon | null; reason: string } | null = null;

/** The addon, or null and the reason it is unavailable (not built, or COSAE_KERNELS=onnxruntime). */
export function loadNativeAddon(): { addon: NativeAddon | null; reason: string } {
  if (cached) return cached;
  if (process.env.COSAE_KERNELS === "onnxruntime") {
    cached = { addon: null, reason: "COSAE_KERNELS=onnxruntime" };
  } else if (!existsSync(nativeAddonPath)) {
    cached = { addon: null, reason: `not built (${nativeAddonPath} is missing; see npm run build)` };
  } else {
    try {
      preferOpenblasCore();
      idleOpenblasThreads();
      cached = { addon: createRequire(import.meta.url)(nativeAddonPath) as NativeAddon, reason: "" };
    } catch (error) {
      cached = { addon: null, reason: `failed to load: ${(error as Error).message}` };
    }
  }
  return cached;
}

/**
 * OpenBLAS picks its kernels when it loads, from the CPU model. Some virtual
 * CPUs are not recognised and fall back to SSE3 ("Prescott": 5× slower sgemm
 * here), so unless OPENBLAS_CORETYPE is set, name the family by the CPU's flags.
 */
function preferOpenblasCore(): void {
  if (process.env.OPENBLAS_CORETYPE) return;
  let flags = "";
  try {
    flags = readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m)?.[1] ?? "";
  } catch {
    return;
  }
  const has = (flag: string) => new RegExp(`\\b${flag}\\b`).test(flags);
  const core = has("avx512f") && has("avx512bw") ? "SkylakeX" : has("avx2") && has("fma") ? "Haswell" : null;
  if (core) process.env.OPENBLAS_CORETYPE = core;
}

/**
 * After each sgemm, OpenBLAS's worker threads spin (calling sched_yield) for
 * 2^28 cycles, about 0.1 s, before they sleep. On a machine with as many cores
 * as threads they take turns with the kernels that follow the score product,
 * slowing every phase after it (the transform + selection by a third), so unless
 * OPENBLAS_THREAD_TIMEOUT is set, they sleep at once (2^4 cycles, its minimum):
 * waking them costs microseconds, once per product.
 */
function idleOpenblasThreads(): void {
  process.env.OPENBLAS_THREAD_TIMEOUT ??= "4";
}
