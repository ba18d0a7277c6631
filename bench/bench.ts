import { mkdir, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { ChosenKernels, KernelsKind } from "../src/kernels/choose-kernels.js";
import type { Kernels } from "../src/kernels/kernels.js";
import { describeKernels } from "../src/kernels/kernels-description.js";
import { loadNativeAddon } from "../src/kernels/native-addon.js";
import { PhaseClock } from "../src/kernels/phase-clock.js";
import type { ScoreKind } from "../src/kernels/score-family.js";
import { scoreKinds } from "../src/kernels/score-family.js";
import type { WebgpuKernels } from "../src/kernels/webgpu/webgpu-kernels.js";
import { Workspace } from "../src/model/workspace.js";
import { resolveTrainConfig, validateTrainConfig } from "../src/training/train-config.js";
import { startTraining, train } from "../src/training/trainer.js";
import { measurePeak, measureProductPeak, measureWebgpuGemm } from "./peak.js";
import { randomSource } from "./random-source.js";

/**
 * `npm run bench`: the machine's fp32 GEMM peak through the chosen kernels, then
 * training tokens/s per score family and shape, split by phase, against the
 * limit set by the one irreducible product (2·d·m FLOPs per token):
 *   limit = peak / (2·d·m) tokens/s.
 * Each family is timed twice on the same SAE: with a quarter of the latents
 * marked dead (AuxK runs, kAux = d/2), then with none dead (no AuxK).
 *
 * `--kernels webgpu` benches the GPU set: the peak is then the tiled GEMM's rate on
 * device-resident buffers (no upload or read-back), and each row adds that rate
 * at the row's own product shape (B × d · (m × d)ᵀ). bench/gpu/run.sh runs this on
 * a GPU machine beside a PyTorch step. The webgpu path imports neither
 * onnxruntime nor the native addon, so it runs from that script's small bundle.
 */
const shapes = {
  "768x16384": { d: 768, m: 16384, k: 32, B: 4096 },
  "512x8192": { d: 512, m: 8192, k: 32, B: 4096 },
  "2304x16384": { d: 2304, m: 16384, k: 64, B: 2048 },
  small: { d: 128, m: 1024, k: 8, B: 1024 },
  // The GPU shapes, and one small enough for SwiftShader; not in the default list.
  "2304x65536": { d: 2304, m: 65536, k: 64, B: 4096 },
  tiny: { d: 32, m: 128, k: 4, B: 64 },
} as const;
const phases = ["data", "scores", "transform+select", "decode", "backward", "auxk", "optimizer"] as const;

const { values } = parseArgs({
  options: {
    out: { type: "string", default: "runs/bench/bench.json" },
    steps: { type: "string", default: "3" },
    shapes: { type: "string", default: "768x16384,512x8192,2304x16384,small" },
    scores: { type: "string", default: scoreKinds.join(",") },
    threads: { type: "string", default: "0" },
    kernels: { type: "string", default: "auto" },
    /** the peak's product, ROWSxDxM */
    peak: { type: "string", default: "2048x1024x8192" },
  },
});
for (const name of values.shapes.split(","))
  if (!Object.hasOwn(shapes, name))
    throw new Error(`--shapes: "${name}" is not one of ${Object.keys(shapes).join(", ")}`);
const peakShape = values.peak.split("x").map(Number) as [number, number, number];
if (peakShape.length !== 3 || !peakShape.every((n) => Number.isInteger(n) && n > 0))
  throw new Error(`--peak: expected ROWSxDxM, e.g. 2048x1024x8192, got "${values.peak}"`);
const timedSteps = Number(values.steps);
// A full collection before each family, so that none is charged for freeing the previous one's
// arrays (after the 2304 × 16384 shape, 1.6 GiB) and each one's peak RSS is its own.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;
const benchStart = performance.now();
const kernelsKind = values.kernels as KernelsKind;
const kernels = await openBenchKernels(kernelsKind, Number(values.threads));
const gpu = "gpu" in kernels ? (kernels as unknown as WebgpuKernels).gpu : null;
console.log(`${kernels.description} [${kernels.name}]`);
// The peak first, before this process has allocated anything else. Other work on a shared
// machine only ever lowers a timing, so the peak is the best seen, before and after;
// the 1-minute load average says how busy the machine was.
const loadBefore = loadavg()[0]!;
const benchPeak = () => (gpu ? measureWebgpuGemm(gpu, peakShape) : measurePeak(kernels, peakShape));
const peak = await benchPeak();
console.log(
  `fp32 GEMM peak${gpu ? " (on the device)" : ""}: ${peak.gflops.toFixed(1)} GFLOP/s (${peak.shape}); ` +
    `load average ${loadBefore.toFixed(2)}`,
);
// With OpenBLAS in the addon, cosae's own sgemm on the same shape, for the two products side by side
// (its output on huge pages too, as the kernels' is).
const { addon } = gpu ? { addon: null } : loadNativeAddon();
let ownOut = new Float32Array(0);
const ownGemmPeak =
  addon?.gemm === "openblas"
    ? await measureProductPeak((x, w, rows, d, m) => {
        if (ownOut.length !== rows * m) {
          ownOut = new Float32Array(rows * m);
          addon.adviseHugePages(ownOut);
        }
        addon.ownDenseScores(x, w, rows, d, m, ownOut);
      })
    : null;
if (ownGemmPeak) console.log(`cosae's own sgemm, same shape: ${ownGemmPeak.gflops.toFixed(1)} GFLOP/s`);

interface Row {
  shape: string;
  score: ScoreKind;
  d: number;
  m: number;
  k: number;
  B: number;
  tokensPerSecond: number;
  tokensPerSecondWithoutAuxk: number;
  /** entries AuxK selected per token (with a quarter of the latents dead) */
  auxkPerToken: number;
  limit: number;
  ratio: number;
  ratioWithoutAuxk: number;
  scoreGflops: number;
  /** webgpu: the tiled GEMM alone at this shape, on device-resident buffers */
  deviceGemmGflops: number | null;
  deadLatents: number;
  msPerStep: Record<string, number>;
  /** the same phases with no dead latents */
  msPerStepWithoutAuxk: Record<string, number>;
  memory: { rssMiB: number; arrayBuffersMiB: number; boundMiB: number };
}
const rows: Row[] = [];
for (const name of values.shapes.split(",") as (keyof typeof shapes)[]) {
  const { d, m, k, B } = shapes[name];
  const source = randomSource(d, B);
  for (const score of values.scores.split(",") as ScoreKind[]) {
    rows.push(await benchOne(name, score, d, m, k, B, source));
    const r = rows.at(-1)!;
    // No ratios here: the peak they divide by may still rise at the end; the table has them.
    console.log(
      `${name.padEnd(11)} ${score.padEnd(13)} ${r.tokensPerSecond.toFixed(0).padStart(6)} tok/s with AuxK, ` +
        `${r.tokensPerSecondWithoutAuxk.toFixed(0).padStart(6)} without; GEMM ${r.scoreGflops.toFixed(0)} GFLOP/s` +
        (r.deviceGemmGflops === null ? "" : ` (${r.deviceGemmGflops.toFixed(0)} on the device alone)`),
    );
  }
}
const loadAfter = loadavg()[0]!;
const peakAfter = await benchPeak();
if (peakAfter.gflops > peak.gflops) {
  console.log(`fp32 GEMM peak, measured again: ${peakAfter.gflops.toFixed(1)} GFLOP/s; limits use this`);
  peak.gflops = peakAfter.gflops;
  for (const r of rows) {
    r.limit = (peak.gflops * 1e9) / (2 * r.d * r.m);
    r.ratio = r.tokensPerSecond / r.limit;
    r.ratioWithoutAuxk = r.tokensPerSecondWithoutAuxk / r.limit;
  }
}
await kernels.dispose();
printTable(rows);
await mkdir(dirname(values.out), { recursive: true });
await writeFile(
  values.out,
  `${JSON.stringify({ kernels: kernels.name, description: kernels.description, peak, ownGemmPeak, loadBefore, loadAfter, timedSteps, rows }, null, 2)}\n`,
);
console.log(
  `load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after; ` +
    `bench took ${((performance.now() - benchStart) / 1000).toFixed(0)} s; written ${values.out}`,
);

async function benchOne(
  shape: string,
  score: ScoreKind,
  d: number,
  m: number,
  k: number,
  B: number,
  source: ReturnType<typeof randomSource>,
): Promise<Row> {
  const options = {
    score,
    m,
    k,
    batchSize: B,
    steps: 1 + timedSteps,
    lr: 1e-4,
    warmupSteps: 0,
    initTokens: B,
    bDecInit: "mean",
    deadTokens: 10_000_000,
    logEvery: 1,
  };
  const config = resolveTrainConfig(validateTrainConfig(options, "bench"), d);
  collectGarbage();
  const { sae, state } = await startTraining(config, source);
  // A quarter of the latents dead (they stay dead unless they fire), so AuxK runs.
  for (let j = 0; j < m; j += 4) state.tokensSinceFired[j] = 1e12;
  let rss = 0;
  let arrayBuffers = 0;
  const onMetrics = () => {
    const u = process.memoryUsage();
    rss = Math.max(rss, u.rss);
    arrayBuffers = Math.max(arrayBuffers, u.arrayBuffers);
  };
  // Counts AuxK's entries per token (its cost grows with them: how many dead scores are positive).
  let auxEntries = 0;
  const counting: Kernels = {
    ...kernels,
    selectTopKAmong(p, rows, m, columns, k) {
      const codes = kernels.selectTopKAmong(p, rows, m, columns, k);
      auxEntries = codes.rowStart[rows]! / rows;
      return codes;
    },
  };
  // One workspace for all three calls, so that timed steps find their buffers (2·m·d gradients
  // among them) already written, as every step after the first of a long run does.
  const workspace = new Workspace();
  await train(sae, state, source, { ...config, steps: 1 }, kernels, { onMetrics }, workspace); // warm-up
  // With AuxK (a quarter dead), then the same SAE with nothing dead (no AuxK).
  const timed = async (steps: number) => {
    const clock = new PhaseClock();
    const start = performance.now();
    await train(sae, state, source, { ...config, steps }, counting, { clock, onMetrics }, workspace);
    const seconds = (performance.now() - start) / 1000;
    const ms: Record<string, number> = {};
    for (const p of phases) ms[p] = (clock.totals.get(p) ?? 0) / timedSteps;
    return { tokensPerSecond: (B * timedSteps) / seconds, ms };
  };
  const withAuxk = await timed(1 + timedSteps);
  const auxkPerToken = auxEntries;
  state.tokensSinceFired.fill(0);
  const withoutAuxk = await timed(1 + 2 * timedSteps);
  const msPerStep = withAuxk.ms;
  const tokensPerSecond = withAuxk.tokensPerSecond;
  const tokensPerSecondWithoutAuxk = withoutAuxk.tokensPerSecond;
  const limit = (peak.gflops * 1e9) / (2 * d * m);
  // Parameters, gradients and two Adam moments (float32, 4 × 4 bytes each), the score matrix, and O(B·d) buffers.
  const paramsBytes = 4 * (2 * m * d + 3 * m + d);
  const boundBytes = 4 * paramsBytes + 4 * B * m + 16 * 4 * B * d;
  const dead = Math.ceil(m / 4);
  const deviceGemmGflops = gpu ? (await measureWebgpuGemm(gpu, [B, d, m])).gflops : null;
  return {
    shape,
    score,
    d,
    m,
    k,
    B,
    tokensPerSecond,
    tokensPerSecondWithoutAuxk,
    limit,
    ratio: tokensPerSecond / limit,
    ratioWithoutAuxk: tokensPerSecondWithoutAuxk / limit,
    scoreGflops: (2 * B * d * m) / (msPerStep.scores! * 1e6),
    deviceGemmGflops,
    deadLatents: dead,
    auxkPerToken,
    msPerStep,
    msPerStepWithoutAuxk: withoutAuxk.ms,
    memory: {
      rssMiB: rss / 2 ** 20,
      arrayBuffersMiB: arrayBuffers / 2 ** 20,
      boundMiB: boundBytes / 2 ** 20,
    },
  };
}

function printTable(rows: Row[]): void {
  const head = [
    "shape",
    "score",
    "limit",
    "tok/s auxk",
    "ratio",
    "tok/s no dead",
    "ratio",
    "auxk/tok",
    "GEMM GF/s",
    "device GEMM",
    ...phases,
    "rss MiB",
    "bound MiB",
  ];
  const lines = rows.map((r) => [
    r.shape,
    r.score,
    r.limit.toFixed(0),
    r.tokensPerSecond.toFixed(0),
    `${(100 * r.ratio).toFixed(0)}%`,
    r.tokensPerSecondWithoutAuxk.toFixed(0),
    `${(100 * r.ratioWithoutAuxk).toFixed(0)}%`,
    r.auxkPerToken.toFixed(0),
    r.scoreGflops.toFixed(0),
    r.deviceGemmGflops === null ? "-" : r.deviceGemmGflops.toFixed(0),
    ...phases.map((p) => r.msPerStep[p]!.toFixed(0)),
    r.memory.rssMiB.toFixed(0),
    r.memory.boundMiB.toFixed(0),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join("  ");
  console.log(
    "\nlimit = peak / (2·d·m) tokens/s; with AuxK (¼ of latents dead, kAux = d/2; auxk/tok = entries it selects)" +
      " and with no dead latents; ms per phase of a step with AuxK",
  );
  console.log(fmt(head));
  for (const l of lines) console.log(fmt(l));
}

/**
 * The kernels of `kind`. The webgpu set is opened directly (with its kernels line),
 * so that bench/gpu/run.sh's bundle needs neither onnxruntime nor the native addon.
 */
async function openBenchKernels(kind: KernelsKind, threads: number): Promise<ChosenKernels> {
  if (kind === "webgpu") {
    const { createWebgpuKernels } = await import("../src/kernels/webgpu/node-webgpu-kernels.js");
    const { swiftshaderRequested } = await import("../src/kernels/webgpu/node-gpu.js");
    const k = await createWebgpuKernels();
    return {
      ...k,
      description: describeKernels({
        kind: "webgpu",
        adapter: k.gpu.adapterName,
        swiftshader: swiftshaderRequested(),
      }),
    };
  }
  const { chooseKernels } = await import("../src/kernels/choose-kernels.js");
  return chooseKernels(threads, kind);
}
