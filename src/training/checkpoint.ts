import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeJsonAtomic } from "../io/atomic-write.js";
import { readSaeFolder, replaceFolder, writeSaeFolder } from "../io/sae-folder.js";
import {
  readSafetensors,
  type TensorEntry,
  toFloat32,
  toFloat64,
  writeSafetensors,
} from "../io/safetensors.js";
import type { AdamMoments } from "../kernels/adam.js";
import { paramNames, type Sae } from "../model/sae.js";
import type { TrainerState } from "./trainer.js";

/**
 * Checkpoints: `checkpoints/step-NNNNNNNN/` holds the SAE folder plus
 * `training_state.safetensors` (Adam moments, dead-latent counters, the exact
 * γ), written whole beside its final name and swapped in; `latest.json` then
 * points at it. A run killed at any moment leaves the previous checkpoint
 * intact and `latest.json` pointing at a complete one.
 */
const stateFile = "training_state.safetensors";
const keep = 2;

/** The folder of the checkpoint after `step` steps. */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, "0")}`;
}

export async function saveCheckpoint(
  runDir: string,
  sae: Sae,
  state: TrainerState,
  metadata: Record<string, unknown>,
): Promise<string> {
  const name = checkpointName(state.step);
  const root = join(runDir, "checkpoints");
  await replaceFolder(join(root, name), async (tmp) => {
    await writeSaeFolder(tmp, sae, metadata);
    const tensors: Record<string, TensorEntry> = {
      tokens_since_fired: {
        dtype: "F64",
        shape: [state.tokensSinceFired.length],
        data: state.tokensSinceFired,
      },
      // γ itself: the weights file stores exp(γ), which does not round-trip bit for bit.
      log_gain: {
        dtype: "F32",
        shape: [sae.params.logGain.length],
        data: Float32Array.from(sae.params.logGain),
      },
    };
    for (const p of paramNames) {
      const m = state.moments[p];
      tensors[`adam_first.${p}`] = { dtype: "F32", shape: [m.first.length], data: m.first };
      tensors[`adam_second.${p}`] = { dtype: "F32", shape: [m.second.length], data: m.second };
    }
    await writeSafetensors(join(tmp, stateFile), tensors, {
      step: String(state.step),
      threshold_updates: String(state.thresholdUpdates),
    });
  });
  await writeJsonAtomic(join(root, "latest.json"), { step: state.step, folder: name });
  const old = (await readdir(root)).filter((f) => /^step-\d{8}$/.test(f)).sort();
  for (const f of old.slice(0, Math.max(0, old.length - keep)))
    await rm(join(root, f), { recursive: true, force: true });
  return join(root, name);
}

/**
 * The newest complete checkpoint of a run folder, with the training options
 * its SAE recorded (cfg.json metadata.train), for the caller to cross-check.
 */
export async function loadCheckpoint(
  runDir: string,
): Promise<{ sae: Sae; state: TrainerState; folder: string; trainedWith: Record<string, unknown> }> {
  const root = join(runDir, "checkpoints");
  const latestPath = join(root, "latest.json");
  let latest: { step: number; folder: string };
  try {
    latest = JSON.parse(await readFile(latestPath, "utf8"));
  } catch (e) {
    throw new Error(`${latestPath}: no checkpoint to resume from (${(e as Error).message})`);
  }
  // latest.json names a step-NNNNNNNN folder beside it, and nothing else (no ../x, no absolute path).
  if (
    typeof latest !== "object" ||
    latest === null ||
    !Number.isInteger(latest.step) ||
    latest.step < 0 ||
    latest.folder !== checkpointName(latest.step)
  ) {
    throw new Error(
      `${latestPath}: expected {"step": N, "folder": "step-NNNNNNNN"} naming that step's folder in ${root}, ` +
        `found ${JSON.stringify(latest)}; the file was edited or damaged: restore it, or train a new run`,
    );
  }
  const folder = join(root, latest.folder);
  const { sae, fileConfig } = await readSaeFolder(folder);
  const path = join(folder, stateFile);
  const { tensors, metadata } = await readSafetensors(path);
  const need = (key: string): TensorEntry => {
    const t = tensors[key];
    if (!t) throw new Error(`${path}: missing tensor "${key}"`);
    return t;
  };
  const moments = {} as Record<(typeof paramNames)[number], AdamMoments>;
  for (const p of paramNames) {
    const size = sae.params[p].length;
    const first = toFloat32(need(`adam_first.${p}`));
    const second = toFloat32(need(`adam_second.${p}`));
    if (first.length !== size || second.length !== size) {
      throw new Error(
        `${path}: Adam moments of "${p}" have ${first.length}/${second.length} entries, expected ${size}`,
      );
    }
    moments[p] = { first, second };
  }
  const logGain = toFloat32(need("log_gain"));
  if (logGain.length !== sae.params.logGain.length)
    throw new Error(`${path}: "log_gain" has the wrong length`);
  sae.params.logGain.set(logGain);
  const tokensSinceFired = toFloat64(need("tokens_since_fired"));
  if (tokensSinceFired.length !== sae.config.m)
    throw new Error(`${path}: "tokens_since_fired" has the wrong length`);
  const step = Number(metadata.step);
  const thresholdUpdates = Number(metadata.threshold_updates);
  if (!Number.isInteger(step) || step !== latest.step || !Number.isInteger(thresholdUpdates)) {
    throw new Error(`${path}: metadata step=${metadata.step} does not match latest.json step=${latest.step}`);
  }
  const train = fileConfig.metadata?.train;
  return {
    sae,
    state: { step, moments, tokensSinceFired: Float64Array.from(tokensSinceFired), thresholdUpdates },
    folder,
    trainedWith: typeof train === "object" && train !== null ? (train as Record<string, unknown>) : {},
  };
}
