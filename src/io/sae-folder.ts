import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { alphaCount, hasGain, type ScoreKind, scoreKinds } from "../kernels/score-family.js";
import {
  activations,
  type CosineOrigin,
  cosineOriginProblem,
  cosineOrigins,
  decodings,
  type SaeConfig,
} from "../model/config.js";
import { allocateParams, type Sae } from "../model/sae.js";
import { describeSystemError, systemErrorCode } from "../util/system-error.js";
import { writeJsonAtomic } from "./atomic-write.js";
import { checkedTensor } from "./checked-tensor.js";
import {
  checkFiniteTensors,
  configFile,
  type SaeFileConfig,
  saeFileConfig,
  saeTensors,
  weightsFile,
} from "./sae-folder-contents.js";
import {
  checkNoExtraTensors,
  checkPositiveGain,
  checkSameScalar,
  checkThresholdIsTau,
} from "./sae-stored-twice.js";
import { readSafetensors, toFloat32, toFloat64, writeSafetensors } from "./safetensors.js";

/**
 * An SAE on disk (DESIGN §6): the folder's contents are described in
 * sae-folder-contents.ts (re-exported here); this file writes and reads them.
 */
export * from "./sae-folder-contents.js";

/** Writes the folder's two files, each atomically. */
export async function writeSaeFolder(
  folder: string,
  sae: Sae,
  metadata?: Record<string, unknown>,
): Promise<void> {
  const tensors = saeTensors(sae);
  checkFiniteTensors(tensors, join(folder, weightsFile));
  await mkdir(folder, { recursive: true });
  await writeSafetensors(join(folder, weightsFile), tensors);
  await writeJsonAtomic(join(folder, configFile), saeFileConfig(sae, metadata));
}

/** Writes a complete folder beside `folder`, then swaps it in, so `folder` is always whole. */
export async function replaceFolder(folder: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = join(dirname(folder), `.${folder.split("/").pop()}.${process.pid}.tmp`);
  const old = `${tmp}.old`;
  await rm(tmp, { recursive: true, force: true });
  try {
    await write(tmp);
  } catch (e) {
    // A failed write (a full disk, a refused value) leaves no half folder behind.
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
  await rm(old, { recursive: true, force: true });
  await rename(folder, old).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== "ENOENT") throw e;
  });
  await rename(tmp, folder);
  await rm(old, { recursive: true, force: true });
}

/** An SAE folder's cfg.json, parsed (cosae's or SAELens's: the callers check it). */
export async function readConfigJson(folder: string): Promise<{ raw: unknown; path: string }> {
  const path = join(folder, configFile);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if (systemErrorCode(e) === "ENOENT")
      throw new Error(
        existsSync(folder)
          ? `${folder} is not an SAE folder: it has no ${configFile} (an SAE folder holds ${configFile} and ${weightsFile})`
          : `${folder} does not exist; expected an SAE folder (${configFile} and ${weightsFile})`,
      );
    throw new Error(`cannot read the SAE config: ${describeSystemError(e, path)}`);
  }
  try {
    return { raw: JSON.parse(text), path };
  } catch (e) {
    throw new Error(`${path}: cannot read the SAE config: not valid JSON (${(e as Error).message})`);
  }
}

/** Reads an SAE folder written by cosae, checking every shape and value against cfg.json. */
export async function readSaeFolder(folder: string): Promise<{ sae: Sae; fileConfig: SaeFileConfig }> {
  const { raw, path: cfgPath } = await readConfigJson(folder);
  const cfg = checkFileConfig(raw, cfgPath);
  const config: SaeConfig = {
    d: cfg.d_in,
    m: cfg.d_sae,
    k: cfg.k ?? 0,
    score: cfg.score,
    activation: cfg.activation,
    decode: cfg.decode,
    cosineOf: cfg.cosine_of ?? "centred",
    alphaInit: cfg.alpha_init,
    eps: cfg.eps,
  };
  const weightsPath = join(folder, weightsFile);
  const { tensors } = await readSafetensors(weightsPath);
  const { d, m } = config;
  const take = (name: string, shape: number[]) =>
    checkedTensor(tensors, name, shape, weightsPath, configFile, toFloat32);
  // Values stored twice (cfg.json and tensors) must agree: see sae-stored-twice.ts.
  checkNoExtraTensors(tensors, config, weightsPath, cfgPath);
  for (const name of ["scale_s", "norm_nu"] as const) {
    const value = checkedTensor(tensors, name, [], weightsPath, configFile, toFloat64)[0]!;
    checkSameScalar(name, value, cfg[name], weightsPath, cfgPath);
  }
  const threshold = take("threshold", [m]);
  if (config.activation !== "jumprelu")
    checkThresholdIsTau(threshold, cfg.threshold_tau, weightsPath, cfgPath);
  const params = allocateParams(config);
  const wEnc = take("W_enc", [d, m]);
  for (let c = 0; c < d; c++) for (let j = 0; j < m; j++) params.encoder[j * d + c] = wEnc[c * m + j]!;
  params.decoder.set(take("W_dec", [m, d]));
  params.bEnc.set(take("b_enc", [m]));
  params.bDec.set(take("b_dec", [d]));
  if (hasGain(config.score)) {
    const gain = take("gain", [m]);
    checkPositiveGain(gain, weightsPath);
    params.logGain.set(gain.map(Math.log));
  }
  if (alphaCount(config) > 0) params.alpha.set(take("alpha", [alphaCount(config)]));
  const sae: Sae = {
    config,
    params,
    constants: { scale: cfg.scale_s, nu: cfg.norm_nu, threshold: cfg.threshold_tau },
  };
  if (config.activation === "jumprelu") sae.constants.thresholds = threshold;
  return { sae, fileConfig: cfg };
}

function checkFileConfig(raw: unknown, where: string): SaeFileConfig {
  if (typeof raw !== "object" || raw === null) throw new Error(`${where}: expected a JSON object`);
  const c = raw as Record<string, unknown>;
  const problems: string[] = [];
  const positiveInt = (k: string) => {
    if (!Number.isInteger(c[k]) || (c[k] as number) < 1) problems.push(`"${k}" must be a positive integer`);
  };
  const finite = (k: string, min = Number.NEGATIVE_INFINITY) => {
    if (typeof c[k] !== "number" || !Number.isFinite(c[k]) || (c[k] as number) < min) {
      problems.push(`"${k}" must be a finite number ≥ ${min}`);
    }
  };
  const oneOf = (k: string, values: readonly string[]) => {
    if (!values.includes(c[k] as string)) problems.push(`"${k}" must be one of ${values.join(", ")}`);
  };
  if (c.architecture !== "cosae")
    problems.push(`"architecture" must be "cosae" (got ${JSON.stringify(c.architecture)})`);
  positiveInt("d_in");
  positiveInt("d_sae");
  // k means nothing to jumprelu (the thresholds decide): it may be absent or 0 there.
  if (c.activation !== "jumprelu") {
    positiveInt("k");
    if (Number.isInteger(c.k) && Number.isInteger(c.d_sae) && (c.k as number) > (c.d_sae as number))
      problems.push(`"k" (${c.k}) must not exceed "d_sae" (${c.d_sae}): k of the m latents fire per token`);
  } else if (c.k !== undefined && !(Number.isInteger(c.k) && (c.k as number) >= 0))
    problems.push(`"k" must be absent or a non-negative integer for a jumprelu SAE`);
  oneOf("score", scoreKinds);
  oneOf("activation", activations);
  oneOf("decode", decodings);
  if (c.cosine_of !== undefined) {
    oneOf("cosine_of", cosineOrigins);
    const origin = cosineOriginProblem(c.score as ScoreKind, c.cosine_of as CosineOrigin);
    if (scoreKinds.includes(c.score as ScoreKind) && origin) problems.push(`"cosine_of" ${origin}`);
  }
  finite("alpha_init", 0);
  finite("eps", 0);
  finite("scale_s", Number.MIN_VALUE);
  finite("norm_nu", Number.MIN_VALUE);
  finite("threshold_tau");
  if (problems.length > 0) throw new Error(`${where}: ${problems.join("; ")}`);
  return c as unknown as SaeFileConfig;
}
