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
  checkNoExtraTensors,
  checkPositiveGain,
  checkSameScalar,
  checkThresholdIsTau,
} from "./sae-stored-twice.js";
import { readSafetensors, type TensorEntry, toFloat32, toFloat64, writeSafetensors } from "./safetensors.js";

/**
 * An SAE on disk (DESIGN §6): a folder with `cfg.json` and
 * `sae_weights.safetensors`, keys named as SAELens names them — `W_enc` [d, m],
 * `W_dec` [m, d], `b_enc`, `b_dec`, `threshold` [m] (τ for every latent, or
 * θ_j for jumprelu) — plus `gain` = exp(γ) [m] and `alpha` for the cosine family,
 * and the scalars `scale_s`, `norm_nu`.
 */
export const weightsFile = "sae_weights.safetensors";
export const configFile = "cfg.json";

export interface SaeFileConfig {
  architecture: "cosae";
  d_in: number;
  d_sae: number;
  /** 0 (or absent when read) for jumprelu */
  k: number;
  score: SaeConfig["score"];
  activation: SaeConfig["activation"];
  decode: SaeConfig["decode"];
  /** what the cosine and r look at: "centred" x_c = x/scale_s − b_dec, or "uncentred" x/scale_s; absent (files before it) = centred */
  cosine_of?: SaeConfig["cosineOf"];
  alpha_init: number;
  eps: number;
  /** x̃ = x / scale_s */
  scale_s: number;
  norm_nu: number;
  /** τ in full float64 precision (the weights file holds it as float32) */
  threshold_tau: number;
  dtype: "float32";
  /** how to compute the score, for readers outside cosae */
  score_formula: string;
  /** free-form provenance (data, training options) */
  metadata?: Record<string, unknown>;
}

/** w_j is column j of W_enc [d, m]; |.| the Euclidean norm; v the vector the score looks at. */
function scoreOf(score: SaeConfig["score"], v: string): string {
  const cos = `gain_j * (w_j . ${v})/(|w_j| |${v}| + eps)`;
  const r = `r = |${v}|/norm_nu; `;
  return {
    inner: `p_j = w_j . ${v} + b_enc_j`,
    cosine: `p_j = ${cos} + b_enc_j`,
    blend: `${r}p_j = ${cos} * r^alpha + b_enc_j`,
    "blend-feature": `${r}p_j = ${cos} * r^alpha_j + b_enc_j`,
  }[score];
}

/** The score's vector and how it is made: x_c = x̃ − b_dec, or x_s = x̃ (cosineOf "uncentred"). */
function scoreInput(c: SaeConfig): { v: string; line: string } {
  return c.cosineOf === "uncentred"
    ? { v: "x_s", line: "x_s = x/scale_s (uncentred: the score looks at x_s, not x_s - b_dec)" }
    : { v: "x_c", line: "x_c = x/scale_s - b_dec" };
}

const sparsifiers: Record<SaeConfig["activation"], string> = {
  batchtopk: "z_j = p_j if p_j > threshold_tau and p_j > 0, else 0 (BatchTopK at inference: JumpReLU at tau)",
  topk: "z_j = p_j for the k largest positive p_j of the token, else 0 (TopK)",
  jumprelu:
    "z_j = p_j if p_j > threshold_j and p_j > 0, else 0 (JumpReLU, threshold_j from the threshold tensor)",
};

/** The decoder's per-latent magnitude exponent a_j of equivariant decoding. */
const exponents: Record<SaeConfig["score"], string> = {
  inner: "a_j = 1",
  cosine: "a_j = 0",
  blend: "a_j = alpha",
  "blend-feature": "a_j = alpha_j",
};

/**
 * The whole inference computation in one line, for readers outside cosae:
 * input scaling, score, sparsifier, decoder and the raw-unit reconstruction.
 * Plain decoding is the unlabelled `x_hat = ...`; only equivariant decoding
 * carries the `decode:` label (readers may key on it).
 */
export function scoreFormula(c: SaeConfig): string {
  const { v, line } = scoreInput(c);
  const decoder =
    c.decode === "equivariant"
      ? `decode: x_hat = sum_j z_j r^(1-a_j) W_dec_j + b_dec with r = |${v}|/norm_nu, ${exponents[c.score]}`
      : "x_hat = sum_j z_j W_dec_j + b_dec";
  return [
    line,
    "w_j = W_enc[:, j], W_dec_j = W_dec[j, :]",
    scoreOf(c.score, v),
    sparsifiers[c.activation],
    decoder,
    "reconstruction of x = scale_s * x_hat",
  ].join("; ");
}

export function saeFileConfig(sae: Sae, metadata?: Record<string, unknown>): SaeFileConfig {
  const c = sae.config;
  return {
    architecture: "cosae",
    d_in: c.d,
    d_sae: c.m,
    k: c.activation === "jumprelu" ? 0 : c.k,
    score: c.score,
    activation: c.activation,
    decode: c.decode,
    cosine_of: c.cosineOf,
    alpha_init: c.alphaInit,
    eps: c.eps,
    scale_s: sae.constants.scale,
    norm_nu: sae.constants.nu,
    threshold_tau: sae.constants.threshold,
    dtype: "float32",
    score_formula: scoreFormula(c),
    ...(metadata ? { metadata } : {}),
  };
}

/** The weights as safetensors entries (encoder transposed to SAELens's [d, m]). */
export function saeTensors(sae: Sae): Record<string, TensorEntry> {
  const { d, m } = sae.config;
  const p = sae.params;
  const wEnc = new Float32Array(d * m);
  for (let j = 0; j < m; j++) for (let c = 0; c < d; c++) wEnc[c * m + j] = p.encoder[j * d + c]!;
  const f32 = (data: ArrayLike<number>, shape: number[]): TensorEntry => ({
    dtype: "F32",
    shape,
    data: Float32Array.from(data),
  });
  const tensors: Record<string, TensorEntry> = {
    W_enc: { dtype: "F32", shape: [d, m], data: wEnc },
    W_dec: f32(p.decoder, [m, d]),
    b_enc: f32(p.bEnc, [m]),
    b_dec: f32(p.bDec, [d]),
    threshold: f32(jumpThresholds(sae) ?? new Float32Array(m).fill(sae.constants.threshold), [m]),
    scale_s: { dtype: "F64", shape: [], data: Float64Array.of(sae.constants.scale) },
    norm_nu: { dtype: "F64", shape: [], data: Float64Array.of(sae.constants.nu) },
  };
  if (hasGain(sae.config.score)) tensors.gain = f32(p.logGain.map(Math.exp), [m]);
  if (p.alpha.length > 0) tensors.alpha = f32(p.alpha, [p.alpha.length]);
  return tensors;
}

/** θ_j of a jumprelu SAE (checked against m), or null for the other activations. */
function jumpThresholds(sae: Sae): Float32Array | null {
  if (sae.config.activation !== "jumprelu") return null;
  const theta = sae.constants.thresholds;
  if (theta?.length !== sae.config.m)
    throw new Error(
      `a jumprelu SAE needs ${sae.config.m} per-latent thresholds, found ${theta?.length ?? "none"}`,
    );
  return theta;
}

/** Writes the folder's two files, each atomically. */
export async function writeSaeFolder(
  folder: string,
  sae: Sae,
  metadata?: Record<string, unknown>,
): Promise<void> {
  const tensors = saeTensors(sae);
  // An SAE with a NaN or ∞ is refused here too, whatever produced it: no reader would accept it.
  for (const [name, t] of Object.entries(tensors)) {
    const data = t.data as Float32Array | Float64Array;
    const i = data.findIndex((v) => !Number.isFinite(v));
    if (i >= 0)
      throw new Error(
        `cannot write ${join(folder, weightsFile)}: tensor "${name}" holds ${data[i]} at entry ${i}; ` +
          "an SAE with non-finite values would not load",
      );
  }
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
