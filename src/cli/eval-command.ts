import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { reportTable } from "../compare/compare-tables.js";
import { activationSection, type SectionData, syntheticSection } from "../compare/section-data.js";
import { conceptGroups, parseConceptGroups } from "../concepts/concept-bank.js";
import type { ActivationDataConfig } from "../data/activation-data-config.js";
import { ActivationDataset } from "../data/activation-dataset.js";
import { defaultSyntheticConfig } from "../data/synthetic-config.js";
import { type EvalReport, evaluateSae } from "../evaluation/evaluate.js";
import { writeJsonAtomic } from "../io/atomic-write.js";
import { loadSae } from "../io/load-sae.js";
import { chooseKernels } from "../kernels/choose-kernels.js";
import { describeArchitecture } from "../model/describe-architecture.js";
import { validateRunSpec } from "../training/run-folder.js";
import { checkAllocation } from "../util/memory-budget.js";
import { withPathContext } from "../util/system-error.js";
import { checkWritableFile } from "../util/writable-path.js";
import { kernelsFlag, kernelsFlagHelp, kernelsKind } from "./kernels-flag.js";

export const evalHelp = `cosae eval SAE [SAE ...] [--data PATH] [--evalTokens N] [--model M] [--concepts LIST] [--json FILE]

Evaluates SAE folders (cosae's, or SAELens ones: see cosae help import) on held-out tokens with every measure of DESIGN §4 and
prints one row per SAE: FVU, L0, dead, α, concept alignment, norm-correlated
latents and norm detectors, slot share of the highest-norm tokens, k-sparse
probing on the concept tasks (against a probe on the raw activations) and
first-letter feature absorption (real text only), and — when
the activations name their model and hook (or --model is given) — the spliced
loss: loss added and fraction recovered against zero-ablation.

  --data PATH       an activation dataset; the held-out set is its last N rows
                    (whole sequences), which training skips with --holdOut N.
                    Without --data: the synthetic default's held-out stream.
  --evalTokens N    default 32768 (activations) or 16384 (synthetic)
  --model M         the model for the spliced loss (default: the dataset's manifest)
  --concepts LIST   concept groups for real text (default ${conceptGroups.join(",")})
  --json FILE       also write every figure as JSON
  --threads N       compute threads (0: every core)
${kernelsFlagHelp()}`;

export async function evalCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: "string" },
      evalTokens: { type: "string" },
      model: { type: "string" },
      json: { type: "string" },
      concepts: { type: "string", default: conceptGroups.join(",") },
      threads: { type: "string", default: "0" },
      kernels: kernelsFlag,
    },
    strict: true,
  });
  const groups = parseConceptGroups(values.concepts);
  const kernelsAsked = kernelsKind(values.kernels);
  if (positionals.length === 0) throw new Error('eval needs at least one SAE folder; see "cosae help eval"');
  const evalTokens = values.evalTokens === undefined ? null : Number(values.evalTokens);
  if (evalTokens !== null && !(Number.isInteger(evalTokens) && evalTokens >= 1))
    throw new Error(`--evalTokens: expected a positive integer, got "${values.evalTokens}"`);
  // The output, every SAE (cosae or SAELens folders) and the data's shape are checked before any work.
  if (values.json !== undefined) await checkWritableFile("--json", values.json);
  const saes = [];
  for (const folder of positionals) saes.push({ folder, sae: (await loadSae(folder)).sae });
  const dataset = values.data === undefined ? null : await ActivationDataset.open(values.data);
  const d = dataset?.d ?? defaultSyntheticConfig.d;
  const dataName = values.data ?? "the synthetic default";
  for (const { folder, sae } of saes) {
    if (sae.config.d !== d)
      throw new Error(
        `${folder}: the SAE has d = ${sae.config.d} but ${dataName} has d = ${d}; ` +
          "evaluate it on activations of the hook it was trained on (--data)",
      );
  }
  const heldOut = evalTokens ?? (dataset ? 32768 : 16384);
  if (dataset && heldOut >= dataset.rows)
    throw new Error(
      `--evalTokens ${heldOut}: ${values.data} has only ${dataset.rows} rows, and the held-out tail must leave ` +
        `some before it; pass --evalTokens ${dataset.rows - 1} or fewer`,
    );
  // The held-out rows, their reconstruction and a work copy are held at once.
  checkAllocation({
    what: `evaluating on ${heldOut} rows of d = ${d}`,
    largestArray: heldOut * d,
    totalBytes: 3 * heldOut * d * 4,
    options: "--evalTokens",
  });

  const kernels = await chooseKernels(Number(values.threads), kernelsAsked);

  process.stderr.write(`${kernels.description}\n`);
  try {
    const section: SectionData =
      dataset === null
        ? syntheticSection({}, heldOut)
        : await activationSection(values.data!, {
            heldOut,
            model: values.model ?? null,
            concepts: { groups },
            kernels,
            dataset,
          });
    process.stderr.write(`${section.title}: ${section.data}\n`);
    for (const note of section.notes) process.stderr.write(`${note}\n`); // before any evaluation
    const rows: { name: string; report: EvalReport }[] = [];
    for (const { folder, sae } of saes) {
      const overlap = trainingOverlap(folder, values.data, heldOut);
      if (overlap) process.stderr.write(`warning: ${overlap}\n`);
      process.stderr.write(`${folder}: ${describeArchitecture(sae.config)}\n`);
      const report = await evaluateSae(sae, section.evalSet, kernels);
      if (section.meter) report.splicedLoss = await section.meter.measure(sae);
      rows.push({ name: folder, report });
    }
    process.stdout.write(`${reportTable(rows)}\n${section.notes.map((n) => `${n}\n`).join("")}`);
    for (const { name, report } of rows) {
      const l = report.splicedLoss;
      if (l)
        process.stdout.write(
          `${name}: next-token loss clean ${l.clean.toFixed(4)}, spliced ${l.spliced.toFixed(4)}, ` +
            `zero-ablated ${l.zeroAblated.toFixed(4)} over ${l.tokens} predictions\n`,
        );
      const p = report.probing;
      if (p) {
        const at = (v: number[]) => p.ks.map((k, i) => `k=${k} ${v[i]!.toFixed(3)}`).join(", ");
        process.stdout.write(
          `${name}: k-sparse probing over ${p.tasks} tasks, accuracy ${at(p.accuracy)} (ceiling ` +
            `${p.ceiling.accuracy.toFixed(3)}); F1 ${at(p.f1)} (ceiling ${p.ceiling.f1.toFixed(3)}); by group, ` +
            `accuracy at k=${p.ks[0]} / ${p.ks[p.ks.length - 1]}: ` +
            `${p.groups.map((g) => `${g.group} ${g.accuracy[0]!.toFixed(3)} / ${g.accuracy[g.accuracy.length - 1]!.toFixed(3)}`).join(", ")}\n`,
        );
      }
      const a = report.absorption;
      if (a)
        process.stdout.write(
          `${name}: first-letter absorption ${(100 * a.absorptionRate).toFixed(1)}%, false negatives ` +
            `${(100 * a.falseNegativeRate).toFixed(1)}% (mean over ${a.letters.length} letters; ` +
            `${a.letters.map((l) => `${l.letter} ${(100 * l.absorptionRate).toFixed(0)}%`).join(" ")})\n`,
        );
      const top = report.alignment?.top.slice(0, 5);
      if (top?.length)
        process.stdout.write(
          `${name}: best concepts ${top.map((t) => `${t.concept} (F1 ${t.f1.toFixed(2)}, latent ${t.latent})`).join(", ")}\n`,
        );
    }
    const json = values.json;
    if (json !== undefined)
      await withPathContext("--json", json, () =>
        writeJsonAtomic(json, { data: section.data, title: section.title, results: rows }),
      );
  } finally {
    await kernels.dispose();
  }
}

/**
 * Says when an SAE trained by cosae on this dataset saw some of the held-out
 * rows (its run.json, beside the sae/ folder, records the dataset and holdOut).
 */
function trainingOverlap(saeFolder: string, data: string | undefined, heldOut: number): string | null {
  const runJson = join(dirname(resolve(saeFolder)), "run.json");
  if (data === undefined || !existsSync(runJson)) return null;
  let activations: ActivationDataConfig | undefined;
  try {
    activations = validateRunSpec(JSON.parse(readFileSync(runJson, "utf8")), runJson).data.activations;
  } catch {
    return null; // not a cosae run folder: nothing to say
  }
  if (!activations || resolve(activations.path) !== resolve(data)) return null;
  return activations.holdOut >= heldOut
    ? null
    : `${saeFolder} was trained with holdOut ${activations.holdOut} on this dataset, so some of the ${heldOut} evaluation rows were training rows`;
}
