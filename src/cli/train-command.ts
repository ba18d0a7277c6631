import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type FieldTable, fieldHelp, flagOptions, parseFlagValues } from "../config/fields.js";
import { activationDataFields } from "../data/activation-data-config.js";
import { ActivationStreamSource } from "../data/activation-source.js";
import { chooseKernels } from "../kernels/choose-kernels.js";
import { RunInterrupted, trainRun, validateRunSpec } from "../training/run-folder.js";
import { trainFields } from "../training/train-config.js";
import { catchStopSignals, signalExitCode } from "../util/stop-signals.js";
import { kernelsFlag, kernelsFlagHelp, kernelsKind } from "./kernels-flag.js";
import { ProgressBar } from "./progress.js";

/** The data flags: `--data PATH` plus the streaming options of data.activations. */
const { path: dataPath, bufferMiB, chunkRows, nonFinite, epochs, holdOut } = activationDataFields;
const dataFlags = {
  // The default shown in help only: without --data the run uses the synthetic set.
  data: {
    ...dataPath,
    default: "synthetic",
    help: "train on an activation dataset (.npy, .safetensors, or a shard folder)",
  },
  bufferMiB,
  chunkRows,
  nonFinite,
  epochs,
  holdOut,
} as const satisfies FieldTable;

export const trainHelp = `cosae train [--config FILE.json] [--out DIR] [--resume | --restart] [--threads N] [--kernels K] [--data PATH] [options]

Trains one SAE into DIR (default runs/train): run.json, metrics.jsonl, checkpoints/,
and the final SAE in sae/. The data is the built-in synthetic set (DESIGN §5) unless
--data names an activation dataset on disk, streamed through a seeded block shuffle
with bounded memory (--bufferMiB). Options come from --config (a JSON object with
the options below and "data": {"synthetic": {...}} or "data": {"activations":
{"path": ..., "bufferMiB": ...}}), overridden by flags.

DIR must be new, empty, or a run: a folder holding anything else is refused. One
process at a time trains in DIR (a lock, DIR/run.lock, names who holds it).
Checkpoints are written every --checkpointEvery steps, every --checkpointMinutes
(default 5), at the end, and on SIGINT/SIGTERM (then the command exits 130/143).
--resume continues the run in DIR from its latest checkpoint (reopening the same
data, checked against the fingerprint in run.json) to the same result as an
uninterrupted run. A run with no checkpoint yet (killed before the first, or
stopped by bad data) starts again from step 0, said on stderr: with --resume on
its run.json, or without --resume on the options given (e.g. --nonFinite skip).
--restart starts a run that has checkpoints again from step 0 with the options
given, replacing its checkpoints, metrics and SAE (nothing else in DIR).

Options:
${kernelsFlagHelp(23)}
${fieldHelp(trainFields)}

Data options:
${fieldHelp(dataFlags)}`;

export async function trainCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...flagOptions(trainFields),
      ...flagOptions(dataFlags),
      config: { type: "string" },
      out: { type: "string", default: "runs/train" },
      resume: { type: "boolean", default: false },
      restart: { type: "boolean", default: false },
      threads: { type: "string", default: "0" },
      kernels: kernelsFlag,
    },
    strict: true,
  });
  const { config, out, resume, restart, threads, kernels: kind, ...rest } = values;
  const { data, bufferMiB, chunkRows, nonFinite, epochs, holdOut, ...flags } = rest as Record<
    string,
    string | undefined
  >;
  const dataFlagValues = { data, bufferMiB, chunkRows, nonFinite, epochs, holdOut };
  const kernels = await chooseKernels(Number(threads), kernelsKind(kind));
  process.stderr.write(`${kernels.description}\n`);
  const stop = catchStopSignals();
  try {
    let spec = null;
    if (resume && restart) throw new Error("--resume continues a run and --restart starts it over: give one");
    if (!resume) {
      let fromFile: Record<string, unknown> = {};
      if (config) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(readFileSync(config, "utf8"));
        } catch (e) {
          throw new Error(`${config}: cannot read the config: ${(e as Error).message}`);
        }
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
          throw new Error(
            `${config}: --config expects a JSON object of options, found ${JSON.stringify(parsed)?.slice(0, 40)}`,
          );
        fromFile = parsed as Record<string, unknown>;
      }
      const fromFlags = parseFlagValues(trainFields, flags as Record<string, string | boolean | undefined>);
      spec = validateRunSpec(
        { ...fromFile, ...fromFlags, ...withDataFlags(fromFile.data, dataFlagValues) },
        config ? `${config} + command line` : "command line",
      );
    } else if (
      [...Object.values(flags), ...Object.values(dataFlagValues)].some((v) => v !== undefined) ||
      config
    ) {
      throw new Error("--resume continues the run as it was configured; drop the other options");
    }
    let bar: ProgressBar | undefined;
    const sae = await trainRun(out, spec, {
      resume: Boolean(resume),
      restart: Boolean(restart),
      kernels,
      log: (line) => process.stderr.write(`${line}\n`),
      stopRequested: stop.requested,
      onStart: (resolved, source) => {
        // The step count is known once the data is open (--epochs derives it from the rows).
        if (source instanceof ActivationStreamSource) process.stderr.write(`data: ${source.description}\n`);
        bar = new ProgressBar("train", resolved.steps);
      },
      onMetrics: (m) => bar?.update(m),
    });
    process.stdout.write(
      `wrote ${out}/sae (${sae.config.score}${sae.config.cosineOf === "uncentred" ? " of x̃" : ""}, d=${sae.config.d}, m=${sae.config.m}, τ=${sae.constants.threshold.toPrecision(5)})\n`,
    );
  } catch (e) {
    if (!(e instanceof RunInterrupted)) throw e;
    process.stderr.write(`\ncosae: ${e.message}\n`);
    process.exitCode = signalExitCode(e.signal);
  } finally {
    stop.dispose();
    await kernels.dispose();
  }
}

/**
 * The `data` record after the data flags: `--data PATH` selects an activation
 * dataset (replacing a synthetic one from --config); the streaming flags
 * adjust data.activations and need a dataset to apply to.
 */
function withDataFlags(
  fromFile: unknown,
  flags: Record<string, string | boolean | undefined>,
): { data?: Record<string, unknown> } {
  const { data: path, ...streaming } = parseFlagValues(dataFlags, flags);
  const given = Object.keys(streaming);
  if (path === undefined && given.length === 0) return {};
  const fileData = (typeof fromFile === "object" && fromFile !== null ? fromFile : {}) as Record<
    string,
    unknown
  >;
  const fileActivations = fileData.activations as Record<string, unknown> | undefined;
  if (path === undefined && fileActivations === undefined) {
    throw new Error(`--${given[0]} applies to an activation dataset; add --data PATH`);
  }
  const activations = { ...(fileActivations ?? {}), ...streaming, ...(path === undefined ? {} : { path }) };
  return { data: { activations } };
}
