import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { fieldHelp, flagOptions, parseFlagValues } from "../config/fields.js";
import { trainRun, validateRunSpec } from "../training/run-folder.js";
import { trainFields } from "../training/train-config.js";
import { chooseKernels } from "./kernels.js";
import { ProgressBar } from "./progress.js";

export const trainHelp = `cosae train [--config FILE.json] [--out DIR] [--resume] [--threads N] [options]

Trains one SAE on the built-in synthetic data (DESIGN §5) into DIR (default runs/train):
run.json, metrics.jsonl, checkpoints/, and the final SAE in sae/. Options come from
--config (a JSON object with the options below and "data": {"synthetic": {...}}),
overridden by flags. --resume continues the run in DIR from its latest checkpoint
to the same result as an uninterrupted run.

Options:
${fieldHelp(trainFields)}`;

export async function trainCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...flagOptions(trainFields),
      config: { type: "string" },
      out: { type: "string", default: "runs/train" },
      resume: { type: "boolean", default: false },
      threads: { type: "string", default: "0" },
    },
    strict: true,
  });
  const { config, out, resume, threads, ...flags } = values;
  const kernels = await chooseKernels(Number(threads));
  try {
    let spec = null;
    if (!resume) {
      let fromFile: Record<string, unknown> = {};
      if (config) {
        try {
          fromFile = JSON.parse(readFileSync(config, "utf8"));
        } catch (e) {
          throw new Error(`${config}: cannot read the config: ${(e as Error).message}`);
        }
      }
      const fromFlags = parseFlagValues(trainFields, flags as Record<string, string | boolean | undefined>);
      spec = validateRunSpec(
        { ...fromFile, ...fromFlags },
        config ? `${config} + command line` : "command line",
      );
    } else if (Object.values(flags).some((v) => v !== undefined) || config) {
      throw new Error("--resume continues the run as it was configured; drop the other options");
    }
    const bar = new ProgressBar("train", spec ? spec.train.steps : storedSteps(out!));
    const sae = await trainRun(out!, spec, {
      resume: Boolean(resume),
      kernels,
      onMetrics: (m) => bar.update(m),
    });
    process.stdout.write(
      `wrote ${out}/sae (${sae.config.score}, d=${sae.config.d}, m=${sae.config.m}, τ=${sae.constants.threshold.toPrecision(5)})\n`,
    );
  } finally {
    await kernels.dispose();
  }
}

/** The step count of an existing run (0 if it has none: trainRun then reports what is missing). */
function storedSteps(out: string): number {
  try {
    return (JSON.parse(readFileSync(`${out}/run.json`, "utf8")) as { steps: number }).steps;
  } catch {
    return 0;
  }
}
