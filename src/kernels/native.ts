import { adamDefaults } from "./adam.js";
import type { FloatArray, SparseRows } from "./arrays.js";
import type { EntryTerms } from "./entry-terms.js";
import type { Kernels } from "./kernels.js";
import {
  type AdamStepArgs,
  type EntryTermFields,
  loadNativeAddon,
  type NativeAddon,
  type NativeSparse,
  type ScoreFields,
} from "./native-addon.js";
import { referenceKernels } from "./reference.js";
import { scoreFacts } from "./score-family.js";
import type { ScoreSpec } from "./score-transform.js";

/**
 * Kernels in the native addon: OpenBLAS sgemm for the score product (or
 * cosae's own, native/gemm.cc, in a build without OpenBLAS), and
 * multi-threaded C++ for the transform fused with selection, the sparse
 * decode / scatter / dot products, Adam and the decoder constraint. float64
 * arrays (the gradient-check path) go to the reference kernels, decided in one
 * place (`float32Or`). Returns null
 * (with the reason) when the addon is not available.
 */
export function createNativeKernels(threads = 0): {
  kernels: Kernels | null;
  reason: string;
  /** the threads the addon uses, and its score product (when it loaded) */
  threads: number;
  gemm: NativeAddon["gemm"] | null;
  ownGemmKernel: string;
} {
  const { addon, reason } = loadNativeAddon();
  if (!addon) return { kernels: null, reason, threads: 0, gemm: null, ownGemmKernel: "" };
  const used = addon.setThreads(threads);
  return {
    kernels: nativeKernels(addon, used),
    reason: "",
    threads: used,
    gemm: addon.gemm,
    ownGemmKernel: addon.ownGemmKernel,
  };
}

/** The same float64 expressions as adam.ts, so native and TypeScript Adam give identical parameters. */
function adamStep(t: number, lr: number): AdamStepArgs {
  const { beta1, beta2, epsilon } = adamDefaults;
  return [beta1, beta2, 1 - beta1, 1 - beta2, lr / (1 - beta1 ** t), 1 / (1 - beta2 ** t), epsilon];
}

/** The addon's code for each α mode (native/kernels.h AlphaMode). */
const alphaModeCode = { fixed: 0, global: 1, "per-latent": 2 } as const;

/** A score's facts as the addon's flags (score-family.ts): the addon never sees a score's name. */
function scoreFlags(score: ScoreSpec["score"]): { cosine: number; alphaMode: number } {
  const facts = scoreFacts(score);
  return { cosine: facts.cosine ? 1 : 0, alphaMode: alphaModeCode[facts.alpha] };
}

/** An empty array: "all 1" for the addon's optional per-entry q and f. */
const none = new Float64Array(0);

/** The named EntryTerms of the addon's entry passes (native-addon.ts EntryTermFields). */
function entryTermFields(e: EntryTerms): EntryTermFields {
  return {
    m: e.gain.length,
    ...scoreFlags(e.score),
    equivariant: e.equivariant ? 1 : 0,
    nu: e.nu,
    eps: e.eps,
    norm: e.norm,
    logRatio: e.logRatio,
    gain: e.gain,
    encoderNorm: e.encoderNorm,
    alpha: e.alpha,
    scale: e.scale ?? none,
    power: e.power ?? none,
  };
}

function scoreFields(s: ScoreSpec): ScoreFields {
  const { bias, gain, encoderNorm, alpha, norm, nu, eps } = s;
  return { ...scoreFlags(s.score), bias: bias as Float32Array, gain, encoderNorm, alpha, norm, nu, eps };
}

function sparse(rows: number, s: NativeSparse): SparseRows {
  return { rows, rowStart: s.rowStart, index: s.index, value: s.value };
}

/** Float32Array views of arrays that `float32Or` has checked. */
const f32 = (a: FloatArray) => a as Float32Array;

/** The kernels whose arrays the addon takes (all but transposeCodes, which has none in the parameters' precision). */
type Float32Method = Exclude<keyof Kernels, "name" | "dispose" | "transposeCodes">;

/**
 * Per kernel, the arrays in the parameters' precision: when they are all float32
 * the addon runs it, otherwise (float64: the gradient-check path) the reference
 * set does. The one place that decides precision for the native kernels.
 */
const precisionArrays: {
  [K in Float32Method]: (...args: Parameters<Kernels[K]>) => readonly unknown[];
} = {
  denseScores: (x, w) => [x, w],
  applyScore: (a, _rows, _m, spec) => [a, spec.bias],
  applyScoreSelectBatchTopK: (a, _rows, _m, spec) => [a, spec.bias],
  sparseDecode: (codes, w, _d, out) => [codes.value, w, out],
  sparseAccumulate: (codes, x, _d, out) => [codes.value, x, out],
  latentBackward: (_order, b) => [
    b.upstream,
    b.decoder,
    b.decoderCoef,
    b.xc,
    b.encoder,
    b.gradDecoder,
    b.gradEncoder,
  ],
  entryCoefficients: (codes, _e, decoderCoef) => [codes.value, decoderCoef],
  entryReductions: (codes, _e, _u, _a, _h, sums) => [codes.value, sums.bEnc, sums.logGain, sums.alpha],
  residualUpstream: (target, estimate, _weight, _rows, _d, _coef, upstream) => [target, estimate, upstream],
  centredSumOfSquares: (v) => [v],
  weightedRowSum: (x) => [x],
  selectBatchTopK: (p) => [p],
  selectTopK: (p) => [p],
  selectTopKAmong: (p) => [p],
  selectAboveThreshold: (p) => [p],
  rowNorms: (w) => [w],
  adamUpdate: (param, grad) => [param, grad],
  adamUpdateOnSphere: (decoder, grad) => [decoder, grad],
  adamUpdateRowNorms: (param, grad) => [param, grad],
  centre: (x, _invScale, bDec, _rows, _d, xs) => [x, bDec, xs],
  projectToTangent: (decoder, grad) => [decoder, grad],
  normaliseRows: (decoder) => [decoder],
};

/** `native`'s kernels on float32 arrays, the reference set's on any other (the fallback, written once). */
function float32Or(native: Kernels, reference: Kernels): Kernels {
  const chosen: Record<string, unknown> = { ...native };
  for (const name of Object.keys(precisionArrays) as Float32Method[]) {
    const arrays = precisionArrays[name] as (...args: unknown[]) => readonly unknown[];
    const fast = native[name] as (...args: unknown[]) => unknown;
    const slow = reference[name] as (...args: unknown[]) => unknown;
    chosen[name] = (...args: unknown[]) =>
      arrays(...args).every((a) => a instanceof Float32Array) ? fast(...args) : slow(...args);
  }
  return chosen as unknown as Kernels;
}

/** The addon's kernels, each given float32 arrays (float32Or sends the rest to the reference set). */
function nativeKernels(addon: NativeAddon, threads: number): Kernels {
  // One score buffer, reused while the shape stays the same: a 4096 × 16384 matrix is 256 MiB.
  let out = new Float32Array(0);
  const native: Kernels = {
    name:
      addon.gemm === "openblas"
        ? `native-openblas(${threads} threads)`
        : `native-cosae-gemm(${threads} threads)`,
    async denseScores(x, w, rows, d, m) {
      if (out.length !== rows * m) {
        out = new Float32Array(rows * m);
        // Huge pages for the score matrix (untouched so far): ≈ 10% off the product at 4096 × 16384.
        addon.adviseHugePages(out);
      }
      addon.denseScores(f32(x), f32(w), rows, d, m, out);
      return out;
    },
    applyScore(a, rows, m, spec) {
      addon.applyScore(f32(a), rows, m, scoreFields(spec));
    },
    applyScoreSelectBatchTopK(a, rows, m, spec, count) {
      return sparse(rows, addon.applyScoreSelectBatchTopK(f32(a), rows, m, scoreFields(spec), count));
    },
    sparseDecode(codes, w, d, o) {
      addon.sparseDecode(codes.rowStart, codes.index, f32(codes.value), codes.rows, f32(w), d, f32(o));
    },
    sparseAccumulate(codes, x, d, o) {
      addon.sparseAccumulate(codes.rowStart, codes.index, f32(codes.value), codes.rows, f32(x), d, f32(o));
    },
    transposeCodes(codes, m) {
      const o = addon.transposeCodes(codes.rowStart, codes.index, new Float32Array(0), codes.rows, m);
      return { m, ...o };
    },
    latentBackward(order, b, d, overwrite) {
      addon.latentBackward(order.start, order.entry, order.token, order.m, b, d, overwrite ? 1 : 0);
    },
    entryCoefficients(codes, e, decoderCoef, encoderScale) {
      addon.entryCoefficients(codes.rowStart, codes.index, f32(codes.value), codes.rows, entryTermFields(e), {
        decoderCoef: f32(decoderCoef),
        encoderScale,
      });
    },
    entryReductions(codes, e, upstreamDot, encoderDot, encoderScale, sums) {
      addon.entryReductions(
        codes.rowStart,
        codes.index,
        f32(codes.value),
        codes.rows,
        entryTermFields(e),
        { upstreamDot, encoderDot, encoderScale },
        sums,
      );
    },
    residualUpstream(target, estimate, weight, rows, d, coef, upstream, tokenSse) {
      addon.residualUpstream(f32(target), f32(estimate), weight, rows, d, coef, f32(upstream), tokenSse);
    },
    centredSumOfSquares: (v, rows, d) => addon.centredSumOfSquares(f32(v), rows, d),
    weightedRowSum(x, coef, rows, d, o) {
      addon.weightedRowSum(f32(x), coef, rows, d, o);
    },
    selectBatchTopK: (p, rows, m, count) => sparse(rows, addon.selectBatchTopK(f32(p), rows, m, count)),
    selectTopK: (p, rows, m, k) => sparse(rows, addon.selectTopK(f32(p), rows, m, k)),
    selectTopKAmong: (p, rows, m, columns, k) =>
      sparse(rows, addon.selectTopKAmong(f32(p), rows, m, columns, k)),
    selectAboveThreshold: (p, rows, m, threshold) =>
      sparse(rows, addon.selectAboveThreshold(f32(p), rows, m, Float64Array.from(threshold))),
    rowNorms(w, m, d) {
      const norms = new Float64Array(m);
      addon.rowNorms(f32(w), m, d, norms);
      return norms;
    },
    adamUpdate(param, grad, moments, t, lr) {
      addon.adamUpdate(f32(param), f32(grad), moments.first, moments.second, ...adamStep(t, lr));
    },
    adamUpdateOnSphere(decoder, grad, moments, t, lr, d) {
      addon.adamUpdateOnSphere(f32(decoder), f32(grad), moments.first, moments.second, d, ...adamStep(t, lr));
    },
    adamUpdateRowNorms(param, grad, moments, t, lr, d) {
      const norms = new Float64Array(param.length / d);
      addon.adamUpdateRowNorms(
        f32(param),
        f32(grad),
        moments.first,
        moments.second,
        d,
        norms,
        ...adamStep(t, lr),
      );
      return norms;
    },
    centre(x, invScale, bDec, rows, d, xs, xc, norm) {
      addon.centreRows(f32(x), invScale, f32(bDec), rows, d, f32(xs), f32(xc), norm);
    },
    projectToTangent(decoder, grad, d) {
      addon.projectToTangent(f32(decoder), f32(grad), d);
    },
    normaliseRows(decoder, d) {
      addon.normaliseRows(f32(decoder), d);
    },
    async dispose() {
      out = new Float32Array(0);
    },
  };
  return float32Or(native, referenceKernels);
}
