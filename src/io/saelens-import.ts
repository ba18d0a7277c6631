import { join } from "node:path";
import type { SaeConfig } from "../model/config.js";
import { allocateParams, type Sae } from "../model/sae.js";
import { checkedTensor } from "./checked-tensor.js";
import { configFile, readConfigJson, weightsFile } from "./sae-folder.js";
import { parseSaeLensConfig, type SaeLensArchitecture, type SaeLensConfig } from "./saelens-config.js";
import { readSafetensors, type TensorEntry, toFloat64 } from "./safetensors.js";

/**
 * A SAELens SAE folder (`cfg.json` + `sae_weights.safetensors`) as a cosae
 * `inner` SAE with s = 1 and ν = 1, giving exactly SAELens's feature
 * activations and reconstruction on raw inputs. SAELens computes
 *
 *   pre_j = (x − b_dec·[apply_b_dec_to_input]) · W_enc[:, j] + b_enc_j   (× ‖W_dec_j‖ if rescaled)
 *   standard: z = relu(pre)        jumprelu: z_j = relu(pre_j) · 1[pre_j > threshold_j]
 *   topk: the k largest pre_j, then relu
 *   batchtopk (a training checkpoint): saved for inference as jumprelu at threshold = topk_threshold
 *   x̂ = Σ_j z_j · scaling_factor_j / ‖W_dec_j‖ (if rescaled) · W_dec_j + b_dec
 *
 * (sae_lens/saes/{standard,topk,batchtopk,jumprelu}_sae.py, v5 sae_lens/sae.py).
 * cosae always centres, so everything else is folded into the weights, in float64:
 *
 *   w_j = n_j · W_enc[:, j],  b_enc'_j = n_j · (b_enc_j + [not apply_b_dec_to_input] W_enc[:, j] · b_dec)
 *   d_j = scaling_factor_j / n_j · W_dec_j,  n_j = max(‖W_dec_j‖, 1e-8) if rescaled, else 1
 *
 * standard becomes jumprelu with every θ_j = 0 (relu is JumpReLU at 0), batchtopk
 * jumprelu with every θ_j = topk_threshold. The decoder rows stay as given, not
 * unit norm: inference does not need unit rows, and rescaling them would change
 * the codes.
 */

export interface SaeLensImport {
  sae: Sae;
  architecture: SaeLensArchitecture;
  layout: "v6" | "v5";
  /** SAELens's metadata (model_name, hook_name, ...), v5's flat fields gathered under their v6 names */
  metadata: Record<string, unknown>;
  /** one line for each thing folded into the weights */
  folded: string[];
}

const weightDTypes = ["F32", "F16", "BF16", "F64"];

export async function readSaeLensFolder(folder: string): Promise<SaeLensImport> {
  const { raw, path: cfgPath } = await readConfigJson(folder);
  const cfg = parseSaeLensConfig(raw, cfgPath);
  const weightsPath = join(folder, weightsFile);
  const { tensors } = await readSafetensors(weightsPath);
  const { sae, folded } = foldSaeLens(cfg, tensors, weightsPath);
  return { sae, architecture: cfg.architecture, layout: cfg.layout, metadata: cfg.metadata, folded };
}

/** The tensors of one SAELens SAE, folded into a cosae SAE (see above); `where` names the file in errors. */
export function foldSaeLens(
  cfg: SaeLensConfig,
  tensors: Record<string, TensorEntry>,
  where: string,
): { sae: Sae; folded: string[] } {
  const { dIn: d, dSae: m, architecture } = cfg;
  const expected: Record<string, number[]> = { W_enc: [d, m], W_dec: [m, d], b_enc: [m], b_dec: [d] };
  if (architecture === "jumprelu") expected.threshold = [m];
  if (architecture === "batchtopk") expected.topk_threshold = [];
  // Older files carry the finetuning scale as `scaling_factor`, v5 SAEs save it under the parameter's name.
  const scaleKey = ["scaling_factor", "finetuning_scaling_factor"].find((key) => tensors[key]);
  if (scaleKey) expected[scaleKey] = [m];
  const unexpected = Object.keys(tensors).filter((name) => !(name in expected));
  if (unexpected.length > 0) {
    throw new Error(
      `${where}: unexpected tensor${unexpected.length > 1 ? "s" : ""} ${unexpected.map((n) => `"${n}"`).join(", ")} ` +
        `for a SAELens ${architecture} SAE (expected ${Object.keys(expected).join(", ")})`,
    );
  }
  const take = (name: string): Float64Array => {
    const dtype = tensors[name]?.dtype;
    if (dtype !== undefined && !weightDTypes.includes(dtype))
      throw new Error(
        `${where}: tensor "${name}" has dtype ${dtype}, expected one of ${weightDTypes.join(", ")}`,
      );
    return checkedTensor(tensors, name, expected[name]!, where, configFile, toFloat64);
  };
  const wEnc = take("W_enc");
  const wDec = take("W_dec");
  const bEnc = take("b_enc");
  const bDec = take("b_dec");
  const folded: string[] = [];

  let scaling: Float64Array | null = null;
  if (scaleKey) {
    const values = take(scaleKey);
    // SAELens drops an all-ones scale, and refuses any other without the config flag.
    if (values.some((v) => v !== 1)) {
      if (!cfg.finetuningScalingFactor) {
        throw new Error(
          `${where}: tensor "${scaleKey}" is not all ones but ${configFile} has "finetuning_scaling_factor": false`,
        );
      }
      scaling = values;
      folded.push(`${scaleKey} into the decoder rows`);
    }
  }
  const decoderNorm = new Float64Array(m).fill(1);
  if (cfg.rescaleByDecoderNorm) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += wDec[j * d + c]! ** 2;
      decoderNorm[j] = Math.max(Math.sqrt(s), 1e-8); // SAELens clamps the same way
    }
    folded.push("rescale_acts_by_decoder_norm: ‖W_dec_j‖ into the encoder and out of the decoder");
  }
  if (!cfg.applyBDecToInput) folded.push("apply_b_dec_to_input: false, as b_enc + W_enc^T b_dec");

  const activation: SaeConfig["activation"] = architecture === "topk" ? "topk" : "jumprelu";
  const config: SaeConfig = {
    d,
    m,
    k: activation === "topk" ? cfg.k! : 0,
    score: "inner",
    activation,
    decode: "plain",
    cosineOf: "centred",
    alphaInit: 0.5,
    eps: 1e-6,
  };
  const params = allocateParams(config);
  for (let j = 0; j < m; j++) {
    const n = decoderNorm[j]!;
    let bias = bEnc[j]!;
    for (let c = 0; c < d; c++) {
      const w = wEnc[c * m + j]!;
      params.encoder[j * d + c] = n * w;
      if (!cfg.applyBDecToInput) bias += w * bDec[c]!;
    }
    params.bEnc[j] = n * bias;
    const rowScale = (scaling ? scaling[j]! : 1) / n;
    for (let c = 0; c < d; c++) params.decoder[j * d + c] = rowScale * wDec[j * d + c]!;
  }
  params.bDec.set(bDec);

  const sae: Sae = { config, params, constants: { scale: 1, nu: 1, threshold: 0 } };
  if (architecture === "jumprelu") sae.constants.thresholds = Float32Array.from(take("threshold"));
  if (architecture === "batchtopk") {
    sae.constants.thresholds = new Float32Array(m).fill(take("topk_threshold")[0]!);
    folded.push("topk_threshold as every latent's JumpReLU threshold (SAELens's inference form)");
  }
  if (architecture === "standard") sae.constants.thresholds = new Float32Array(m); // relu = JumpReLU at 0
  return { sae, folded };
}
