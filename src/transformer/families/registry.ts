/**
 * The families cosae runs, by config.json's model_type. Adding one is a file
 * in this folder and a line here.
 */
import type { DecoderConfig } from "../decoder-config.js";
import { ModelFormatError } from "../model-format-error.js";
import { showValue } from "./config-reader.js";
import type { ModelFamily } from "./family.js";
import { gemma2Family } from "./gemma2.js";
import { gptNeoxFamily } from "./gpt-neox.js";
import { gpt2Family } from "./gpt2.js";
import { llamaFamily } from "./llama.js";
import { qwen2Family } from "./qwen2.js";

export const FAMILIES: readonly ModelFamily[] = [
  gpt2Family,
  gptNeoxFamily,
  llamaFamily,
  qwen2Family,
  gemma2Family,
];

/** The supported model_type values, for messages and the README. */
export function supportedModelTypes(): string[] {
  return FAMILIES.map((f) => f.modelType);
}

/** The family of `modelType`; refuses an unknown one, listing those cosae supports. `source` names the file. */
export function familyFor(modelType: unknown, source = "config.json"): ModelFamily {
  const family = FAMILIES.find((f) => f.modelType === modelType);
  if (family === undefined) {
    const found = modelType === undefined ? "missing" : showValue(modelType);
    throw new ModelFormatError(
      `${source}: field "model_type" is ${found}; cosae runs ${supportedModelTypes()
        .map((t) => `"${t}"`)
        .join(", ")}`,
    );
  }
  return family;
}

/**
 * config.json → its family and DecoderConfig: the family by model_type,
 * architectures checked against the family's (a base model without the
 * language-model head, or a classifier, is refused), then the family's fields.
 */
export function parseFamilyConfig(
  json: unknown,
  source: string,
): { readonly family: ModelFamily; readonly config: DecoderConfig } {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ModelFormatError(`${source}: expected a JSON object (a Hugging Face config.json)`);
  }
  const record = json as Record<string, unknown>;
  const family = familyFor(record["model_type"], source);
  const architectures = record["architectures"];
  if (
    architectures !== undefined &&
    architectures !== null &&
    (!Array.isArray(architectures) ||
      architectures.length === 0 ||
      !architectures.every((a) => family.architectures.includes(a)))
  ) {
    throw new ModelFormatError(
      `${source}: field "architectures" ${showValue(architectures)} is not supported; expected ` +
        `${JSON.stringify(family.architectures)} for model_type "${family.modelType}"`,
    );
  }
  return { family, config: family.parseConfig(record, source) };
}
