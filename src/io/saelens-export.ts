import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { isCosine } from "../kernels/score-family.js";
import type { Sae } from "../model/sae.js";
import { writeFileAtomic } from "./atomic-write.js";
import { configFile, weightsFile } from "./sae-folder.js";
import { saeLensMetadataKeys } from "./saelens-config.js";
import { type TensorEntry, writeSafetensors } from "./safetensors.js";

/**
 * An `inner` SAE as a SAELens (v6) folder that `SAE.load_from_disk` reads:
 * batchtopk and jumprelu become SAELens `jumprelu`, topk stays `topk`.
 *
 * cosae scales its input (x̃ = x/s) and SAELens does not, so s is folded in:
 *
 *   W_enc' = W_enc / s,  b_dec' = s · b_dec,  W_dec' = s · W_dec,  b_enc' = b_enc,  threshold = τ (or θ_j)
 *
 * Then SAELens's pre-activation on raw x, (x − b_dec')·W_enc' + b_enc' =
 * (x/s − b_dec)·W_enc + b_enc, is cosae's p exactly, so its feature activations
 * are cosae's codes z, and its reconstruction z·W_dec' + b_dec' = s·x̂ is cosae's
 * raw-unit reconstruction. The SAE must score with the inner product: a cosine
 * score is not a linear function of x, and SAELens has no such encoder.
 */

export type SaeLensExportArchitecture = "jumprelu" | "topk";

/** The SAELens architecture `sae` becomes, or why it cannot be written as SAELens. */
export function saeLensTarget(sae: Sae): { architecture: SaeLensExportArchitecture } | { reason: string } {
  if (isCosine(sae.config.score)) {
    return {
      reason: `its score is "${sae.config.score}": SAELens encoders are linear (x·W_enc + b_enc) and cannot compute a cosine score`,
    };
  }
  // With the inner score α = 1, so equivariant decoding's r^(1−α) is 1: plain decoding, exactly.
  return { architecture: sae.config.activation === "topk" ? "topk" : "jumprelu" };
}

/** SAELens's weights: W_enc [d, m], W_dec [m, d], b_enc [m], b_dec [d] (+ threshold [m] for jumprelu), s folded in. */
export function saeLensTensors(sae: Sae): Record<string, TensorEntry> {
  const target = saeLensTarget(sae);
  if ("reason" in target) throw new Error(`cannot write this SAE as SAELens: ${target.reason}`);
  const { d, m } = sae.config;
  const { encoder, decoder, bEnc, bDec } = sae.params;
  const s = sae.constants.scale;
  const wEnc = new Float32Array(d * m);
  for (let j = 0; j < m; j++) for (let c = 0; c < d; c++) wEnc[c * m + j] = encoder[j * d + c]! / s;
  const f32 = (data: Float32Array, shape: number[]): TensorEntry => ({ dtype: "F32", shape, data });
  const tensors: Record<string, TensorEntry> = {
    W_enc: f32(wEnc, [d, m]),
    W_dec: f32(
      Float32Array.from(decoder, (v) => s * v),
      [m, d],
    ),
    b_enc: f32(Float32Array.from(bEnc), [m]),
    b_dec: f32(
      Float32Array.from(bDec, (v) => s * v),
      [d],
    ),
  };
  if (target.architecture === "jumprelu") {
    const theta =
      sae.config.activation === "jumprelu"
        ? sae.constants.thresholds
        : new Float32Array(m).fill(sae.constants.threshold);
    if (theta?.length !== m) throw new Error(`a jumprelu SAE needs ${m} per-latent thresholds`);
    tensors.threshold = f32(Float32Array.from(theta), [m]);
  }
  return tensors;
}

/**
 * The keys SAELens's metadata knows (sae_lens/saes/sae.py SAEMetadata and the
 * training runner), taken from the SAE's own metadata where present; the
 * version is written separately and v5's hook_layer is not a v6 field.
 */
const metadataKeys = saeLensMetadataKeys.filter((key) => key !== "hook_layer" && key !== "sae_lens_version");

/**
 * cfg.json as SAELens 6 writes it (`SAEConfig.to_dict`, in its field order):
 * the base fields, `metadata`, the architecture's own fields, `architecture`.
 * `metadata.sae_lens_version` must be ≥ 6, or SAELens would read the file as
 * the old flat layout; "6.0.0" names the layout, not a SAELens install.
 * `rescale_acts_by_decoder_norm` is false for topk: the rows of W_dec' have norm
 * s, and rescaling by it would change the codes.
 */
export function saeLensConfig(sae: Sae, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  const target = saeLensTarget(sae);
  if ("reason" in target) throw new Error(`cannot write this SAE as SAELens: ${target.reason}`);
  const meta: Record<string, unknown> = { sae_lens_version: "6.0.0", sae_lens_training_version: null };
  for (const key of metadataKeys) if (metadata[key] !== undefined) meta[key] = metadata[key];
  const c = sae.config;
  meta.cosae = {
    score: c.score,
    activation: c.activation,
    ...(c.activation === "jumprelu" ? {} : { k: c.k }),
    decode: c.decode,
    scale_s_folded: sae.constants.scale,
    ...(c.activation === "batchtopk" ? { threshold_tau: sae.constants.threshold } : {}),
    ...(metadata.data !== undefined ? { data: metadata.data } : {}),
    ...(metadata.train !== undefined ? { train: metadata.train } : {}),
  };
  return {
    d_in: c.d,
    d_sae: c.m,
    dtype: "float32",
    device: "cpu",
    apply_b_dec_to_input: true,
    normalize_activations: "none",
    reshape_activations: "none",
    metadata: meta,
    ...(target.architecture === "topk" ? { k: c.k, rescale_acts_by_decoder_norm: false } : {}),
    architecture: target.architecture,
  };
}

/** Writes `cfg.json` and `sae_weights.safetensors` into `folder`, each atomically. */
export async function writeSaeLensFolder(
  folder: string,
  sae: Sae,
  metadata: Record<string, unknown> = {},
): Promise<SaeLensExportArchitecture> {
  const cfg = saeLensConfig(sae, metadata);
  const tensors = saeLensTensors(sae);
  await mkdir(folder, { recursive: true });
  await writeSafetensors(join(folder, weightsFile), tensors);
  await writeFileAtomic(join(folder, configFile), pythonJson(cfg));
  return cfg.architecture as SaeLensExportArchitecture;
}

/** JSON as Python's `json.dump` writes it (", " and ": " separators, non-ASCII escaped), as SAELens does. */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${asciiJson(k)}: ${pythonJson(v)}`).join(", ")}}`;
  }
  if (typeof value === "string") return asciiJson(value);
  if (typeof value === "number" && !Number.isFinite(value))
    throw new Error(`cannot write ${value} in cfg.json (not JSON)`);
  return JSON.stringify(value);
}

function asciiJson(s: string): string {
  return JSON.stringify(s).replace(
    /[\u0080-\uffff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
