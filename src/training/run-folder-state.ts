/**
 * What a run folder holds, read before anything is written, so `train` never
 * writes into a folder that is not its own run: a user's folder (or `/`) is
 * refused whole, and inside a run the only things replaced are the run's own.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { configFile, weightsFile } from "../io/sae-folder.js";
import { lockFile } from "./run-lock.js";

export const runFile = "run.json";
export const metricsFile = "metrics.jsonl";
export const checkpointsFolder = "checkpoints";
export const saeFolder = "sae";
export const latestFile = "latest.json";

/**
 * Names that temporary writes leave when killed: writeFileAtomic's
 * `.name.pid.rand.tmp` and replaceFolder's `.name.pid.tmp` / `.name.pid.tmp.old`.
 */
const leftover = /^\..+\.\d+(\.[0-9a-f]+)?\.tmp(\.old)?$/;
const stepFolder = /^step-\d{8}$/;
const runEntries = new Set([runFile, metricsFile, checkpointsFolder, saeFolder]);

export type RunFolderState =
  /** nothing there (or an empty folder, or one holding only a lock or leftovers) */
  | { kind: "empty" }
  /** run.json, but no checkpoint: never reached one, or failed before it */
  | { kind: "unstarted" }
  /** a checkpoint at `step` (and `finished` when sae/ holds the final SAE) */
  | { kind: "checkpointed"; step: number | null; finished: boolean };

function entries(folder: string): string[] {
  return readdirSync(folder).filter((e) => e !== lockFile && !leftover.test(e));
}

/**
 * Classifies `dir` as a run folder or refuses it (a file, a folder that is not
 * a run, a run whose sae/ holds files that are not an SAE). `option` names the
 * flag for messages (--out).
 */
export function runFolderState(dir: string, option = "--out"): RunFolderState {
  if (!existsSync(dir)) return { kind: "empty" };
  if (!statSync(dir).isDirectory())
    throw new Error(`${option} ${dir} exists and is not a folder; choose a folder for the run`);
  const names = entries(dir);
  if (names.length === 0) return { kind: "empty" };
  if (!names.includes(runFile)) {
    throw new Error(
      `${option} ${dir} exists and does not hold a cosae run (no ${runFile}; it holds ${listed(names)}); ` +
        "nothing was written: choose another --out, or an empty folder",
    );
  }
  const foreignHere = names.filter((e) => !runEntries.has(e));
  if (foreignHere.length > 0)
    throw new Error(
      `${option} ${dir} holds ${listed(foreignHere)} beside its ${runFile}, which a cosae run does not write; ` +
        "nothing was written: move them out, or choose another --out",
    );
  const sae = join(dir, saeFolder);
  if (existsSync(sae)) {
    if (!statSync(sae).isDirectory())
      throw new Error(`${sae} is not a folder, so ${dir} is not a cosae run; choose another --out`);
    const foreign = entries(sae).filter((e) => e !== configFile && e !== weightsFile);
    if (foreign.length > 0)
      throw new Error(
        `${sae} holds ${listed(foreign)}, which a cosae run does not write; move them out of ${dir} first ` +
          "(the run replaces sae/ whole)",
      );
  }
  const checkpoints = join(dir, checkpointsFolder);
  if (existsSync(checkpoints) && !statSync(checkpoints).isDirectory())
    throw new Error(`${checkpoints} is not a folder, so ${dir} is not a cosae run; choose another --out`);
  const latest = join(checkpoints, latestFile);
  const finished = existsSync(join(sae, configFile));
  if (!existsSync(latest) && !finished) return { kind: "unstarted" };
  let step: number | null = null;
  try {
    const s = (JSON.parse(readFileSync(latest, "utf8")) as { step?: unknown }).step;
    step = Number.isInteger(s) ? (s as number) : null;
  } catch {
    step = null;
  }
  return { kind: "checkpointed", step, finished };
}

function listed(names: string[]): string {
  const shown = names.slice(0, 3).map((n) => `"${n}"`);
  return names.length > 3 ? `${shown.join(", ")} and ${names.length - 3} more` : shown.join(", ");
}

/**
 * Removes what killed writes left in a run folder (its own temp files and
 * folders, in the folder, sae/ and checkpoints/). Only under the run's lock.
 */
export async function removeLeftovers(dir: string, log: (line: string) => void): Promise<void> {
  for (const folder of [dir, join(dir, saeFolder), join(dir, checkpointsFolder)]) {
    if (!existsSync(folder) || !statSync(folder).isDirectory()) continue;
    for (const name of readdirSync(folder).filter((e) => leftover.test(e))) {
      await rm(join(folder, name), { recursive: true, force: true });
      log(`note: removed ${join(folder, name)}, left by an interrupted write`);
    }
  }
}

/** Removes a run's checkpoints and final SAE (its own folders only), for a restart from step 0. */
export async function removeRunOutputs(dir: string): Promise<void> {
  const checkpoints = join(dir, checkpointsFolder);
  if (existsSync(checkpoints)) {
    for (const name of readdirSync(checkpoints).filter((e) => stepFolder.test(e) || e === latestFile))
      await rm(join(checkpoints, name), { recursive: true, force: true });
  }
  await rm(join(dir, saeFolder), { recursive: true, force: true });
}

/** Removes a run's own files (compare replaces a run trained with other options); anything else stays. */
export async function removeRun(dir: string): Promise<void> {
  await removeRunOutputs(dir);
  for (const name of [runFile, metricsFile]) await rm(join(dir, name), { force: true });
  const checkpoints = join(dir, checkpointsFolder);
  if (existsSync(checkpoints) && readdirSync(checkpoints).length === 0) await rmdir(checkpoints);
}
