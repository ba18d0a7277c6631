/**
 * A SAELens `cfg.json`, read the way SAELens reads it and reduced to what
 * decides the inference math. Two layouts exist:
 *
 * - v6 (sae_lens ≥ 6): `{d_in, d_sae, dtype, device, apply_b_dec_to_input,
 *   normalize_activations, reshape_activations, metadata: {model_name,
 *   hook_name, sae_lens_version, ...}, architecture}` plus `k` and
 *   `rescale_acts_by_decoder_norm` for topk (and the training fields of a
 *   checkpoint, e.g. batchtopk's `topk_threshold_lr`).
 * - v5 and older: flat, with `model_name`, `hook_name`, `hook_layer`,
 *   `activation_fn_str` ("relu", "topk" + `activation_fn_kwargs.k`),
 *   `finetuning_scaling_factor`, `normalize_activations` (a string, or a bool in
 *   early files), no `architecture` before jumprelu/gated existed.
 *
 * As SAELens does (sae_lens/loading/pretrained_sae_loaders.py,
 * handle_config_defaulting), a file whose `sae_lens_version` (top level or in
 * `metadata`) is missing or below 6.0.0 is read as the old layout.
 */

export const saeLensArchitectures = ["standard", "topk", "batchtopk", "jumprelu"] as const;
export type SaeLensArchitecture = (typeof saeLensArchitectures)[number];

/** The fields SAELens moves into `metadata` when it reads an old file (plus v5's hook_layer). */
export const saeLensMetadataKeys = [
  "model_name",
  "hook_name",
  "hook_layer",
  "model_class_name",
  "hook_head_index",
  "model_from_pretrained_kwargs",
  "prepend_bos",
  "exclude_special_tokens",
  "neuronpedia_id",
  "context_size",
  "seqpos_slice",
  "dataset_path",
  "sae_lens_version",
  "sae_lens_training_version",
];

export interface SaeLensConfig {
  /** v5 `standard` with a topk activation reads as `topk` */
  architecture: SaeLensArchitecture;
  layout: "v6" | "v5";
  dIn: number;
  dSae: number;
  /** topk: latents kept per token; batchtopk: the mean per token (may be fractional); otherwise null */
  k: number | null;
  /** false: the encoder sees x, not x − b_dec */
  applyBDecToInput: boolean;
  /** topk / batchtopk: scores are multiplied by ‖W_dec_j‖ and codes divided by it before decoding */
  rescaleByDecoderNorm: boolean;
  /** v5: codes are multiplied by a per-latent `scaling_factor` before decoding */
  finetuningScalingFactor: boolean;
  /** "none", or "hook_z" (the input is the flattened [n_heads, d_head] of an attention hook_z) */
  reshape: "none" | "hook_z";
  dtype: string | null;
  metadata: Record<string, unknown>;
}

/** The cfg.json of SAELens folder `where`, or an error naming each field that cosae cannot follow exactly. */
export function parseSaeLensConfig(raw: unknown, where: string): SaeLensConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new Error(`${where}: expected a JSON object`);
  const c = raw as Record<string, unknown>;
  const metadataIn = isObject(c.metadata) ? c.metadata : null;
  const version = c.sae_lens_version ?? metadataIn?.sae_lens_version;
  const layout = typeof version === "string" && majorVersion(version) >= 6 ? "v6" : "v5";
  const problems: string[] = [];
  const field = (name: string, problem: string) =>
    problems.push(`"${name}" is ${JSON.stringify(c[name])}: ${problem}`);

  const positiveInt = (name: string): number => {
    const v = c[name];
    if (Number.isInteger(v) && (v as number) >= 1) return v as number;
    problems.push(`"${name}" must be a positive integer (got ${JSON.stringify(v)})`);
    return 1;
  };
  const dIn = positiveInt("d_in");
  const dSae = positiveInt("d_sae");

  // v5 named the activation function; SAELens 6 renames activation_fn_str to activation_fn.
  const activationKey = c.activation_fn_str !== undefined ? "activation_fn_str" : "activation_fn";
  const activationFn = layout === "v5" ? (c[activationKey] ?? "relu") : "relu";
  let architecture = c.architecture ?? "standard";
  let k: number | null = null;
  if (layout === "v5" && activationFn === "topk") {
    const kwargs = isObject(c.activation_fn_kwargs) ? c.activation_fn_kwargs : {};
    if (architecture !== "standard")
      field(activationKey, `a topk activation needs the "standard" architecture`);
    else if (kwargs.k === undefined || kwargs.k === null)
      problems.push(`"${activationKey}" is "topk" without "activation_fn_kwargs": {"k": ...}`);
    else {
      architecture = "topk";
      k = kwargs.k as number;
    }
  } else if (layout === "v5" && activationFn !== "relu") {
    field(activationKey, `only "relu" and "topk" can be imported`);
  }
  if (!(saeLensArchitectures as readonly unknown[]).includes(architecture)) {
    problems.push(
      `"architecture" is ${JSON.stringify(c.architecture)}: cosae imports ${saeLensArchitectures.map((a) => `"${a}"`).join(", ")}`,
    );
  }
  if (architecture === "topk" && k === null) k = c.k as number;
  if (architecture === "topk" && !(Number.isInteger(k) && (k as number) >= 1 && (k as number) <= dSae))
    problems.push(`"k" must be an integer in 1..d_sae = ${dSae} for a topk SAE (got ${JSON.stringify(k)})`);
  if (architecture === "batchtopk") k = typeof c.k === "number" ? c.k : null;

  // Old files stored a bool: true meant "expected_average_only_in" (SAELens's own reading).
  const normalize =
    c.normalize_activations === false ||
    c.normalize_activations === null ||
    c.normalize_activations === undefined
      ? "none"
      : c.normalize_activations === true
        ? "expected_average_only_in"
        : c.normalize_activations;
  if (normalize !== "none") {
    field(
      "normalize_activations",
      `only "none" can be imported exactly (the other modes rescale each input by a factor the folder does not hold, or by its own norm)`,
    );
  }

  const hookName = c.hook_name ?? c.hook_point ?? metadataIn?.hook_name;
  const reshape =
    c.reshape_activations ??
    (typeof hookName === "string" && hookName.includes("hook_z") ? "hook_z" : "none");
  if (reshape !== "none" && reshape !== "hook_z") field("reshape_activations", `expected "none" or "hook_z"`);

  const bool = (name: string, fallback: boolean): boolean => {
    const v = c[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "boolean") field(name, "expected true or false");
    return v === true;
  };
  const applyBDecToInput = bool("apply_b_dec_to_input", true);
  // SAELens defaults: TopKSAEConfig (inference) false, the batchtopk training config true.
  const rescaleByDecoderNorm =
    architecture === "topk" || architecture === "batchtopk"
      ? bool("rescale_acts_by_decoder_norm", architecture === "batchtopk")
      : false;
  const finetuningScalingFactor = bool("finetuning_scaling_factor", false);
  if (problems.length > 0) throw new Error(`${where}: ${problems.join("; ")}`);

  const metadata: Record<string, unknown> = {};
  if (layout === "v6" && metadataIn) Object.assign(metadata, metadataIn);
  else {
    // The v5 flat fields, under SAELens 6's names.
    const renamed: Record<string, unknown> = { ...c };
    if (c.hook_point !== undefined) renamed.hook_name ??= c.hook_point;
    if (c.hook_point_layer !== undefined) renamed.hook_layer ??= c.hook_point_layer;
    if (c.hook_point_head_index !== undefined) renamed.hook_head_index ??= c.hook_point_head_index;
    for (const key of saeLensMetadataKeys) if (renamed[key] !== undefined) metadata[key] = renamed[key];
    if (metadataIn) Object.assign(metadata, metadataIn);
  }
  return {
    architecture: architecture as SaeLensArchitecture,
    layout,
    dIn,
    dSae,
    k,
    applyBDecToInput,
    rescaleByDecoderNorm,
    finetuningScalingFactor,
    reshape: reshape as "none" | "hook_z",
    dtype: typeof c.dtype === "string" ? c.dtype : null,
    metadata,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** 6 for "6.12.1" or "6.0.0-rc.0"; NaN when unreadable (read as the old layout, as SAELens would fail to). */
function majorVersion(version: string): number {
  const m = /^v?(\d+)\./.exec(version.trim());
  return m ? Number(m[1]) : Number.NaN;
}
