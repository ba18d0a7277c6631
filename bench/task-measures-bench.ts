import { parseArgs } from "node:util";
import { activationSection, syntheticSection } from "../src/compare/section-data.js";
import { defaultEvalOptions, encodeInChunks } from "../src/evaluation/evaluate.js";
import { featureAbsorption } from "../src/evaluation/feature-absorption.js";
import { firstLetterProbes } from "../src/evaluation/first-letter-probes.js";
import { probeTasks } from "../src/evaluation/probe-tasks.js";
import { probingCeiling, sparseProbing } from "../src/evaluation/sparse-probing.js";
import { loadSae } from "../src/io/load-sae.js";
import { chooseKernels } from "../src/kernels/choose-kernels.js";

/**
 * `npm run bench:tasks -- SAE [SAE …] [--data PATH] [--evalTokens N]`: the
 * cost of the task measures of `cosae eval` (DESIGN §4), which run after every
 * training run of a comparison. Prints the once-per-eval-set work (choosing
 * the probing tasks, the raw-activation ceiling, the first-letter probes) and,
 * per SAE, the seconds of k-sparse probing and of feature absorption (each the
 * best of --repeats), with the figures they give. Seconds are CPU seconds.
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    data: { type: "string" },
    evalTokens: { type: "string" },
    repeats: { type: "string", default: "3" },
    threads: { type: "string", default: "1" },
  },
});
if (positionals.length === 0) throw new Error("bench:tasks needs at least one SAE folder");
const kernels = await chooseKernels(Number(values.threads));
const repeats = Number(values.repeats);
// CPU seconds of this (single-threaded) work: on a shared machine they are what it costs, where wall time
// also counts the other processes.
const seconds = <T>(f: () => T): { value: T; s: number } => {
  const start = process.cpuUsage();
  const value = f();
  const used = process.cpuUsage(start);
  return { value, s: (used.user + used.system) / 1e6 };
};
try {
  const section =
    values.data === undefined
      ? syntheticSection({}, Number(values.evalTokens ?? 16384))
      : await activationSection(values.data, {
          heldOut: Number(values.evalTokens ?? 32768),
          model: null,
          concepts: {},
          kernels,
        });
  const set = section.evalSet;
  const probing = defaultEvalOptions.probing!;
  const absorption = defaultEvalOptions.absorption!;
  const d = set.x.length / set.rows;
  console.log(`${section.title}: ${set.rows} eval tokens, d = ${d}`);
  // The section may already have fitted these (its data line names the ceiling): time them on a fresh copy.
  const fresh = { ...set };
  const tasks = seconds(() => probeTasks(fresh, probing));
  const ceiling = seconds(() => probingCeiling(fresh, probing));
  const letters = seconds(() => firstLetterProbes(fresh, absorption));
  console.log(
    `CPU seconds once per eval set: ${tasks.value.length} tasks ${tasks.s.toFixed(3)} s, raw ceiling ${ceiling.s.toFixed(3)} s, ` +
      `${letters.value.length} first-letter probes ${letters.s.toFixed(3)} s`,
  );
  for (const folder of positionals) {
    const { sae } = await loadSae(folder);
    const encoded = await encodeInChunks(sae, set.x, set.rows, kernels, 4096);
    let probe = Number.POSITIVE_INFINITY;
    let absorb = Number.POSITIVE_INFINITY;
    let report: ReturnType<typeof sparseProbing> = null;
    let absorbed: ReturnType<typeof featureAbsorption> = null;
    for (let r = 0; r < repeats; r++) {
      const p = seconds(() => sparseProbing(encoded.codes, sae.config.m, fresh, probing));
      const a = seconds(() => featureAbsorption(sae, encoded.codes, encoded.norm, fresh, absorption));
      probe = Math.min(probe, p.s);
      absorb = Math.min(absorb, a.s);
      report = p.value;
      absorbed = a.value;
    }
    const acc = report ? report.accuracy.map((a, i) => `k=${report!.ks[i]} ${a.toFixed(3)}`).join(", ") : "—";
    console.log(
      `${folder} (${sae.config.score}, m = ${sae.config.m}): probing ${probe.toFixed(3)} s [${acc}; ceiling ` +
        `${report?.ceiling.accuracy.toFixed(3) ?? "—"}], absorption ${absorb.toFixed(3)} s [rate ` +
        `${absorbed?.absorptionRate.toFixed(3) ?? "—"}, FN ${absorbed?.falseNegativeRate.toFixed(3) ?? "—"}]`,
    );
  }
} finally {
  await kernels.dispose();
}
