/** A hand-built CompareResults for the report tests: two sections, four families × three k. */
import type {
  AlphaStep,
  CompareResults,
  CompareRun,
  CompareSection,
  FamilySpec,
  MatchedRow,
  MatchedTarget,
  MeasureInfo,
} from "../../src/compare/compare-results.js";
import type { EvalReport, Histogram } from "../../src/evaluation/evaluate.js";

const measures: MeasureInfo[] = [
  { key: "l0", label: "L0", format: "fixed2", help: "mean active latents per token" },
  { key: "deadShare", label: "dead", format: "percent", help: "latents that never fire" },
  { key: "alphaMedian", label: "α", format: "fixed3", help: "learned α (median over latents)" },
  { key: "mmcs", label: "MMCS", format: "fixed3", help: "mean max cosine to the true features" },
  { key: "recovered", label: "recovered", format: "count", help: "true features with cosine ≥ 0.9" },
  { key: "alignedShare", label: "aligned", format: "percent", help: "alive latents aligned with a concept" },
  { key: "normDetectorShare", label: "norm det.", format: "percent", help: "norm-correlated, not aligned" },
  { key: "top1Share", label: "top-1% slots", format: "percent", help: "slots of the 1% largest tokens" },
  { key: "lossAdded", label: "loss added", format: "fixed4", help: "spliced minus clean loss" },
  { key: "probeAccuracy1", label: "probe acc. k=1", format: "fixed3", help: "1-sparse probe accuracy" },
  { key: "probeAccuracy2", label: "probe acc. k=2", format: "fixed3", help: "2-sparse", table: false },
  { key: "probeAccuracy5", label: "probe acc. k=5", format: "fixed3", help: "5-sparse", table: false },
  { key: "probeAccuracy20", label: "probe acc. k=20", format: "fixed3", help: "20-sparse probe accuracy" },
  { key: "absorptionRate", label: "absorption", format: "percent", help: "first-letter absorption" },
];

/** 20 bins over [0, 1], counts from a bump centred at `centre`. */
function bump(centre: number, total: number, width = 0.12): Histogram {
  const w = Array.from({ length: 20 }, (_, i) => Math.exp(-((((i + 0.5) / 20 - centre) / width) ** 2)));
  const s = w.reduce((a, b) => a + b, 0);
  return { lo: 0, hi: 1, counts: w.map((v) => Math.round((total * v) / s)) };
}

interface RunShape {
  /** α: none, one shared scalar, or per latent */
  alpha: "none" | "scalar" | "perLatent";
  /** how strongly L0 grows with token norm (0: norm-blind) */
  normTilt: number;
  /** FVU scale: higher is worse */
  fvuScale: number;
}

function report(shape: RunShape, k: number, opts: { truth: boolean; spliced: boolean }): EvalReport {
  const fvu = shape.fvuScale / Math.sqrt(k);
  const l0 = k * (0.97 + 0.01 * shape.normTilt);
  const alphaMedian = shape.alpha === "scalar" ? 0.35 + 0.02 * Math.log2(k) : 0.12 + 0.01 * Math.log2(k);
  const alpha =
    shape.alpha === "none"
      ? null
      : shape.alpha === "scalar"
        ? {
            count: 1,
            min: alphaMedian,
            q1: alphaMedian,
            median: alphaMedian,
            q3: alphaMedian,
            max: alphaMedian,
            mean: alphaMedian,
            shareAbove: 0,
          }
        : {
            count: 512,
            min: 0,
            q1: alphaMedian - 0.06,
            median: alphaMedian,
            q3: alphaMedian + 0.09,
            max: 0.71,
            mean: alphaMedian + 0.02,
            shareAbove: 0.04,
          };
  return {
    tokens: 8192,
    fvu,
    l0,
    dead: Math.round(k / 4),
    deadShare: k / 2048,
    dense: 0,
    denseShare: 0,
    alpha,
    slotShare: {
      decileMeanL0: Array.from({ length: 10 }, (_, i) => l0 * (1 + shape.normTilt * (i - 4.5) * 0.08)),
      top1Share: 0.01 + 0.03 * shape.normTilt,
      top10Share: 0.1 + 0.15 * shape.normTilt,
    },
    normCorrelated: Math.round(60 * shape.normTilt),
    normCorrelatedShare: (60 * shape.normTilt) / 512,
    normDetectors: Math.round(40 * shape.normTilt),
    normDetectorShare: (40 * shape.normTilt) / 512,
    normDetectorSlotShare: 0.1 * shape.normTilt,
    alignment: {
      alignedShare: 0.6 - 0.3 * shape.normTilt,
      coveredShare: 0.7,
      aligned: 300,
      concepts: 64,
      top: [
        { concept: "feature 3", f1: 0.93, latent: 17 },
        { concept: "<img> & co", f1: 0.81, latent: 4 },
        { concept: "feature 12", f1: 0.66, latent: 230 },
      ],
    },
    decoderMatch: opts.truth
      ? { mmcs: 0.7 + 0.1 / k, recovered: Math.round(40 - shape.normTilt * 20) }
      : null,
    probing: probing(shape),
    absorption: opts.spliced
      ? {
          letters: [],
          absorptionRate: 0.05 + 0.1 * shape.normTilt,
          falseNegativeRate: 0.2 + 0.1 * shape.normTilt,
        }
      : null,
    alphaHistogram: shape.alpha === "perLatent" ? bump(alphaMedian, 512) : null,
    normAurocHistogram: bump(0.55 + 0.3 * shape.normTilt, 480, 0.15),
    splicedLoss: opts.spliced
      ? {
          hook: "blocks.3.hook_resid_pre",
          tokens: 4000,
          clean: 1.2,
          spliced: 1.2 + fvu / 3,
          zeroAblated: 4.5,
          lossAdded: fvu / 3,
          fractionRecovered: 1 - fvu / 3 / 3.3,
        }
      : null,
  };
}

/** Probing accuracy rising with k towards a ceiling of 0.95, lower for norm-tilted families. */
function probing(shape: RunShape): EvalReport["probing"] {
  const ks = [1, 2, 5, 20];
  const accuracy = ks.map((k) => 0.95 - (0.25 + 0.1 * shape.normTilt) / Math.sqrt(k));
  const scores = {
    tasks: 10,
    accuracy,
    f1: accuracy.map((a) => a - 0.02),
    ceiling: { accuracy: 0.95, f1: 0.94 },
  };
  return { ks, ...scores, groups: [{ group: "class", ...scores }] };
}

const shapes: Record<string, RunShape> = {
  inner: { alpha: "none", normTilt: 1, fvuScale: 1.0 },
  "cosine-equivariant": { alpha: "none", normTilt: 0, fvuScale: 1.1 },
  blend: { alpha: "scalar", normTilt: 0.4, fvuScale: 1.04 },
  "blend-feature": { alpha: "perLatent", normTilt: 0.2, fvuScale: 0.95 },
  "cosine-equalize": { alpha: "none", normTilt: 0.1, fvuScale: 1.3 },
};

/** α over 100 steps logged every 10: drifting from 0.5 to the run's final median, quartiles for per-latent α. */
function alphaSteps(shape: RunShape, k: number): AlphaStep[] | null {
  if (shape.alpha === "none") return null;
  const final = report(shape, k, { truth: false, spliced: false }).alpha!;
  return Array.from({ length: 10 }, (_, i) => {
    const t = (i + 1) / 10;
    const at = (v: number) => 0.5 + t * (v - 0.5);
    return {
      step: 10 * (i + 1),
      mean: at(final.mean),
      quartiles:
        shape.alpha === "perLatent"
          ? ([
              at(final.min),
              at(final.q1),
              at(final.median),
              at(final.q3),
              at(final.max),
            ] as AlphaStep["quartiles"])
          : null,
    };
  });
}

function section(
  title: string,
  families: string[],
  ks: number[],
  opts: { truth: boolean; spliced: boolean; targetKs: number[] },
): CompareSection {
  const runs: CompareRun[] = families.flatMap((family) =>
    ks.map((k) => ({
      family,
      k,
      runDir: `${family}/k${k}`,
      trainSeconds: 3 + k / 4,
      report: report(shapes[family]!, k, opts),
      alphaSteps: alphaSteps(shapes[family]!, k),
    })),
  );
  const targets: MatchedTarget[] = opts.targetKs.map((k, t) => ({
    targetFvu: 1 / Math.sqrt(k),
    targetFrom: `FVU of inner at k = ${k}`,
    matched: matchedRows(families, opts, t),
  }));
  const main = targets[targets.length >> 1]!;
  return {
    title,
    data: `8192 held-out tokens, d = 64, source: ${title}`,
    targetFvu: main.targetFvu,
    targetFrom: main.targetFrom,
    runs,
    matched: main.matched,
    targets,
    notes: opts.truth ? [] : ["no ground-truth features: MMCS and recovered are not measured <on text>"],
  };
}

/** The matched rows at the `t`-th target (the values shift a little with it). */
function matchedRows(
  families: string[],
  opts: { truth: boolean; spliced: boolean },
  t: number,
): MatchedRow[] {
  return families.map((family, i) => ({
    family,
    k: 2 ** (4 + t) * shapes[family]!.fvuScale ** 2,
    nearestGap: (i - 1) * 0.0021,
    // the last family is clamped (its runs do not reach the target)
    bracketed: i !== families.length - 1,
    measures: {
      l0: 2 ** (4 + t) - 0.5 + i,
      deadShare: 0.01 * i,
      alphaMedian: shapes[family]!.alpha === "none" ? null : 0.2 + 0.1 * i,
      mmcs: opts.truth ? 0.8 - 0.02 * i : null,
      recovered: opts.truth ? 40 - 3.5 * i : null,
      alignedShare: 0.6 - 0.3 * shapes[family]!.normTilt,
      normDetectorShare: (40 * shapes[family]!.normTilt) / 512,
      // one NaN, to be shown as a dash
      top1Share: i === 1 ? Number.NaN : 0.01 + 0.03 * shapes[family]!.normTilt,
      lossAdded: opts.spliced ? 0.01 * (i + 1) : null,
      ...Object.fromEntries(
        probing(shapes[family]!)!.ks.map((k, j) => [
          `probeAccuracy${k}`,
          probing(shapes[family]!)!.accuracy[j]!,
        ]),
      ),
      absorptionRate: opts.spliced ? 0.05 + 0.1 * shapes[family]!.normTilt : null,
      absorptionFalseNegativeRate: opts.spliced ? 0.2 + 0.1 * shapes[family]!.normTilt : null,
    },
  }));
}

export const fixtureFamilies = ["inner", "cosine-equivariant", "blend", "blend-feature", "cosine-equalize"];

export function compareFixture(): CompareResults {
  const spec = (name: string): FamilySpec => ({
    name,
    score: name.startsWith("inner")
      ? "inner"
      : name.startsWith("blend-feature")
        ? "blend-feature"
        : name.startsWith("blend")
          ? "blend"
          : "cosine",
    decode: name.includes("equivariant") ? "equivariant" : "plain",
    reweight: name.includes("equalize") ? "equalize" : "none",
  });
  return {
    createdBy: "cosae 0.1.0",
    createdAt: "2026-06-20T10:11:12.000Z",
    settings: {
      m: 512,
      batchSize: 1024,
      steps: 3000,
      lr: 0.0004,
      seed: 1,
      ks: [16, 32, 64],
      baseK: 32,
      note: "a & b",
    },
    families: fixtureFamilies.map(spec),
    measures,
    sections: [
      section("synthetic default", ["inner", "cosine-equivariant", "blend", "blend-feature"], [16, 32, 64], {
        truth: true,
        spliced: false,
        targetKs: [16, 32, 64],
      }),
      section(
        "stories260K <script>alert(1)</script>",
        ["inner", "cosine-equivariant", "cosine-equalize"],
        [8, 32, 128],
        { truth: false, spliced: true, targetKs: [32] },
      ),
    ],
    seconds: 754.2,
  };
}
