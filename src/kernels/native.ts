import { adamDefaults } from "./adam.js";
import type { SparseRows } from "./arrays.js";
import type { EntryTerms } from "./entry-terms.js";
import type { Kernels } from "./kernels.js";
import {
  type AdamStepArgs,
  type EntryArgs,
  loadNativeAddon,
  type NativeAddon,
  type NativeSparse,
} from "./native-addon.js";
import { referenceKernels } from "./reference.js";
import type { ScoreSpec } from "./score-transform.js";

/**
 * Kernels in the native addon: OpenBLAS sgemm for the score product (or
 * cosae's own, native/gemm.cc, in a build without OpenBLAS), and
 * multi-threaded C++ for the transform fused with selection, the sparse
 * decode / scatter / dot products, Adam and the decoder constraint. float64
 * arrays (the gradient-check path) go to the reference kernels. Returns null
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

const scoreKind = { inner: 0, cosine: 1, blend: 2, "blend-feature": 3 } as const;

/** An empty array: "all 1" for the addon's optional per-entry q and f. */
const none = new Float64Array(0);

/** The leading arguments of the addon's entry passes (native-addon.ts EntryArgs). */
function entryArgs(codes: SparseRows, value: Float32Array, e: EntryTerms): EntryArgs {
  const m = e.gain.length;
  return [
    codes.rowStart,
    codes.index,
    value,
    codes.rows,
    m,
    scoreKind[e.score],
    e.equivariant ? 1 : 0,
    e.nu,
    e.eps,
    e.norm,
    e.logRatio,
    e.gain,
    e.encoderNorm,
    e.alpha,
    e.scale ?? none,
    e.power ?? none,
  ];
}

function sparse(rows: number, s: NativeSparse): SparseRows {
  return { rows, rowStart: s.rowStart, index: s.index, value: s.value };
}

function f32Values(codes: SparseRows): Float32Array | null {
  return codes.value instanceof Float32Array ? codes.value : null;
}

function nativeKernels(addon: NativeAddon, threads: number): Kernels {
  const ref = referenceKernels;
  // One score buffer, reused while the shape stays the same: a 4096 × 16384 matrix is 256 MiB.
  let out = new Float32Array(0);
  const scoreArgs = (a: Float32Array, rows: number, m: number, s: ScoreSpec) =>
    [
      a,
      rows,
      m,
      scoreKind[s.score],
      s.bias as Float32Array,
      s.gain,
      s.encoderNorm,
      s.alpha,
      s.norm,
      s.nu,
      s.eps,
    ] as const;
  return {
    name:
      addon.gemm === "openblas"
        ? `native-openblas(${threads} threads)`
        : `native-cosae-gemm(${threads} threads)`,
    async denseScores(x, w, rows, d, m) {
      if (!(x instanceof Float32Array && w instanceof Float32Array)) return ref.denseScores(x, w, rows, d, m);
      if (out.length !== rows * m) {
        out = new Float32Array(rows * m);
        // Huge pages for the score matrix (untouched so far): ≈ 10% off the product at 4096 × 16384.
        addon.adviseHugePages(out);
      }
      addon.denseScores(x, w, rows, d, m, out);
      return out;
    },
    applyScore(a, rows, m, spec) {
      if (!(a instanceof Float32Array && spec.bias instanceof Float32Array))
        return ref.applyScore(a, rows, m, spec);
      addon.applyScore(...scoreArgs(a, rows, m, spec));
    },
    applyScoreSelectBatchTopK(a, rows, m, spec, count) {
      if (!(a instanceof Float32Array && spec.bias instanceof Float32Array))
        return ref.applyScoreSelectBatchTopK(a, rows, m, spec, count);
      return sparse(rows, addon.applyScoreSelectBatchTopK(...scoreArgs(a, rows, m, spec), count));
    },
    sparseDecode(codes, w, d, o) {
      const value = f32Values(codes);
      if (!value || !(w instanceof Float32Array && o instanceof Float32Array))
        return ref.sparseDecode(codes, w, d, o);
      addon.sparseDecode(codes.rowStart, codes.index, value, codes.rows, w, d, o);
    },
    sparseAccumulate(codes, x, d, o) {
      const value = f32Values(codes);
      if (!value || !(x instanceof Float32Array && o instanceof Float32Array))
        return ref.sparseAccumulate(codes, x, d, o);
      addon.sparseAccumulate(codes.rowStart, codes.index, value, codes.rows, x, d, o);
    },
    sparseRowDot(codes, x, w, d, o) {
      if (!(x instanceof Float32Array && w instanceof Float32Array))
        return ref.sparseRowDot(codes, x, w, d, o);
      addon.sparseRowDot(codes.rowStart, codes.index, new Float32Array(0), codes.rows, x, w, d, o);
    },
    transposeCodes(codes, m) {
      const o = addon.transposeCodes(codes.rowStart, codes.index, new Float32Array(0), codes.rows, m);
      return { m, ...o };
    },
    latentBackward(order, b, d, overwrite) {
      const f32 = [b.upstream, b.decoder, b.decoderCoef, b.xc, b.encoder, b.gradDecoder, b.gradEncoder];
      if (!f32.every((a) => a instanceof Float32Array)) return ref.latentBackward(order, b, d, overwrite);
      const [upstream, decoder, decoderCoef, xc, encoder, gradDecoder, gradEncoder] = f32 as Float32Array[];
      addon.latentBackward(
        order.start,
        order.entry,
        order.token,
        order.m,
        upstream!,
        decoder!,
        decoderCoef!,
        xc!,
        encoder!,
        b.encoderScale,
        d,
        gradDecoder!,
        gradEncoder!,
        b.upstreamDot,
        b.encoderDot,
        overwrite ? 1 : 0,
      );
    },
    entryCoefficients(codes, e, decoderCoef, encoderScale) {
      const value = f32Values(codes);
      if (!value || !(decoderCoef instanceof Float32Array))
        return ref.entryCoefficients(codes, e, decoderCoef, encoderScale);
      addon.entryCoefficients(...entryArgs(codes, value, e), decoderCoef, encoderScale);
    },
    entryReductions(codes, e, upstreamDot, encoderDot, encoderScale, sums) {
      const value = f32Values(codes);
      const f32 = [sums.bEnc, sums.logGain, sums.alpha];
      if (!value || !f32.every((a) => a instanceof Float32Array))
        return ref.entryReductions(codes, e, upstreamDot, encoderDot, encoderScale, sums);
      const [bEnc, logGain, alpha] = f32 as Float32Array[];
      addon.entryReductions(
        ...entryArgs(codes, value, e),
        upstreamDot,
        encoderDot,
        encoderScale,
        bEnc!,
        logGain!,
        alpha!,
        sums.dNorm,
        sums.dEncoderNorm,
        sums.encoderCoefSum,
      );
    },
    residualUpstream(target, estimate, weight, rows, d, coef, upstream, tokenSse) {
      if (
        !(
          target instanceof Float32Array &&
          estimate instanceof Float32Array &&
          upstream instanceof Float32Array
        )
      )
        return ref.residualUpstream(target, estimate, weight, rows, d, coef, upstream, tokenSse);
      addon.residualUpstream(target, estimate, weight, rows, d, coef, upstream, tokenSse);
    },
    centredSumOfSquares(v, rows, d) {
      if (!(v instanceof Float32Array)) return ref.centredSumOfSquares(v, rows, d);
      return addon.centredSumOfSquares(v, rows, d);
    },
    weightedRowSum(x, coef, rows, d, o) {
      if (!(x instanceof Float32Array)) return ref.weightedRowSum(x, coef, rows, d, o);
      addon.weightedRowSum(x, coef, rows, d, o);
    },
    selectBatchTopK(p, rows, m, count) {
      if (!(p instanceof Float32Array)) return ref.selectBatchTopK(p, rows, m, count);
      return sparse(rows, addon.selectBatchTopK(p, rows, m, count));
    },
    selectTopK(p, rows, m, k) {
      if (!(p instanceof Float32Array)) return ref.selectTopK(p, rows, m, k);
      return sparse(rows, addon.selectTopK(p, rows, m, k));
    },
    selectTopKAmong(p, rows, m, columns, k) {
      if (!(p instanceof Float32Array)) return ref.selectTopKAmong(p, rows, m, columns, k);
      return sparse(rows, addon.selectTopKAmong(p, rows, m, columns, k));
    },
    selectAboveThreshold(p, rows, m, threshold) {
      if (!(p instanceof Float32Array)) return ref.selectAboveThreshold(p, rows, m, threshold);
      return sparse(rows, addon.selectAboveThreshold(p, rows, m, Float64Array.from(threshold)));
    },
    rowNorms(w, m, d) {
      if (!(w instanceof Float32Array)) return ref.rowNorms(w, m, d);
      const norms = new Float64Array(m);
      addon.rowNorms(w, m, d, norms);
      return norms;
    },
    adamUpdate(param, grad, moments, t, lr) {
      if (!(param instanceof Float32Array && grad instanceof Float32Array))
        return ref.adamUpdate(param, grad, moments, t, lr);
      addon.adamUpdate(param, grad, moments.first, moments.second, ...adamStep(t, lr));
    },
    adamUpdateOnSphere(decoder, grad, moments, t, lr, d) {
      if (!(decoder instanceof Float32Array && grad instanceof Float32Array))
        return ref.adamUpdateOnSphere(decoder, grad, moments, t, lr, d);
      addon.adamUpdateOnSphere(decoder, grad, moments.first, moments.second, d, ...adamStep(t, lr));
    },
    adamUpdateRowNorms(param, grad, moments, t, lr, d) {
      if (!(param instanceof Float32Array && grad instanceof Float32Array))
        return ref.adamUpdateRowNorms(param, grad, moments, t, lr, d);
      const norms = new Float64Array(param.length / d);
      addon.adamUpdateRowNorms(param, grad, moments.first, moments.second, d, norms, ...adamStep(t, lr));
      return norms;
    },
    centre(x, invScale, bDec, rows, d, xs, xc, norm) {
      if (!(x instanceof Float32Array && bDec instanceof Float32Array && xs instanceof Float32Array))
        return ref.centre(x, invScale, bDec, rows, d, xs, xc, norm);
      addon.centreRows(x, invScale, bDec, rows, d, xs, xc as Float32Array, norm);
    },
    projectToTangent(decoder, grad, d) {
      if (!(decoder instanceof Float32Array && grad instanceof Float32Array))
        return ref.projectToTangent(decoder, grad, d);
      addon.projectToTangent(decoder, grad, d);
    },
    normaliseRows(decoder, d) {
      if (!(decoder instanceof Float32Array)) return ref.normaliseRows(decoder, d);
      addon.normaliseRows(decoder, d);
    },
    async dispose() {
      out = new Float32Array(0);
    },
  };
}
