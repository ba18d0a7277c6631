/**
 * transformers' ACT2FN names mapped onto the activations the forward pass
 * implements; any other name is refused by the family that reads it.
 */
import type { DecoderConfig } from "../decoder-config.js";
import type { ConfigReader } from "./config-reader.js";

const ACTIVATIONS: Readonly<Record<string, DecoderConfig["activation"]>> = {
  silu: "silu",
  swish: "silu",
  // GELUActivation: x · Φ(x), the exact erf form.
  gelu: "gelu-erf",
  // NewGELUActivation, PytorchGELUTanh and FastGELUActivation are the same tanh formula.
  gelu_new: "gelu-tanh",
  gelu_pytorch_tanh: "gelu-tanh",
  gelu_fast: "gelu-tanh",
};

/** The activation of `field` (default `fallback`), refusing a name cosae does not implement. */
export function readActivation(
  r: ConfigReader,
  field: string,
  fallback: string,
): DecoderConfig["activation"] {
  const name = r.string(field, fallback);
  const activation = ACTIVATIONS[name];
  if (activation === undefined) {
    r.unsupported(
      field,
      name,
      `one of ${Object.keys(ACTIVATIONS)
        .map((k) => `"${k}"`)
        .join(", ")}`,
    );
  }
  return activation;
}
