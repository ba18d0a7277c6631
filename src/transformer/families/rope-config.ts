/**
 * RoPE's config fields, as transformers v4 (`rope_theta`, `rope_scaling`) and
 * v5 (`rope_parameters`) write them. Like transformers v5, a non-null
 * `rope_scaling` takes the place of `rope_parameters`, and a theta inside the
 * dict wins over the top-level one. Only no scaling ("default") and
 * Llama 3.1's "llama3" are implemented; every other rope_type is refused by name.
 */
import type { Llama3RopeScaling } from "../decoder-config.js";
import type { ConfigReader } from "./config-reader.js";

export interface RopeFields {
  readonly theta: number;
  readonly scaling: Llama3RopeScaling | null;
  /** rope_parameters.partial_rotary_factor (GPT-NeoX in v5), when written. */
  readonly partialRotaryFactor: number | undefined;
}

export interface RopeOptions {
  /** The configuration class's default theta. */
  readonly defaultTheta: number;
  /** Top-level fields that hold theta, in the order transformers prefers them. */
  readonly thetaFields: readonly string[];
  /** Whether rope_type "llama3" is accepted (Llama, Qwen 2). */
  readonly llama3: boolean;
  /** Whether rope_parameters.partial_rotary_factor may be below 1 (GPT-NeoX). */
  readonly partial?: boolean;
}

const LLAMA3_KEYS = ["factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function readRope(r: ConfigReader, options: RopeOptions): RopeFields {
  const scalingValue = r.raw("rope_scaling");
  const parametersValue = r.raw("rope_parameters");
  const expected = options.llama3 ? 'null or rope_type "llama3"' : 'null or rope_type "default"';
  let field = "rope_scaling";
  let spec: Record<string, unknown> | null = null;
  for (const [name, value] of [
    ["rope_scaling", scalingValue],
    ["rope_parameters", parametersValue],
  ] as const) {
    if (value === undefined || value === null) continue;
    if (!isRecord(value)) r.unsupported(name, value, `${expected} (an object or null)`);
    field = name;
    spec = value;
    break;
  }
  const topTheta = options.thetaFields.map((f) => [f, r.raw(f)] as const).find(([, v]) => v !== undefined);
  const thetaValue = spec?.["rope_theta"] ?? topTheta?.[1] ?? options.defaultTheta;
  if (typeof thetaValue !== "number" || !(thetaValue > 0) || !Number.isFinite(thetaValue)) {
    r.invalid(
      spec?.["rope_theta"] !== undefined ? `${field}.rope_theta` : topTheta![0],
      thetaValue,
      "a positive number",
    );
  }
  // transformers 4.4x copies the legacy "type" into "rope_type" and writes both.
  if (spec?.["rope_type"] !== undefined && spec["type"] !== undefined && spec["rope_type"] !== spec["type"]) {
    r.unsupported(field, spec, `${expected}, with "type" and "rope_type" equal when both are written`);
  }
  const type = spec?.["rope_type"] ?? spec?.["type"] ?? "default";
  const partial = spec?.["partial_rotary_factor"];
  const allowed = new Set(["rope_type", "type", "rope_theta", "partial_rotary_factor"]);
  let scaling: Llama3RopeScaling | null = null;
  if (type === "llama3" && options.llama3) {
    for (const k of LLAMA3_KEYS) allowed.add(k);
    const num = (k: string): number => {
      const v = spec![k];
      if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) {
        r.invalid(`${field}.${k}`, v, 'a positive number (rope_type "llama3" needs it)');
      }
      return v;
    };
    scaling = {
      kind: "llama3",
      factor: num("factor"),
      lowFreqFactor: num("low_freq_factor"),
      highFreqFactor: num("high_freq_factor"),
      originalMaxPositions: num("original_max_position_embeddings"),
    };
    if (!(scaling.highFreqFactor > scaling.lowFreqFactor)) {
      r.fail(
        `field "${field}" has high_freq_factor ${scaling.highFreqFactor} ≤ low_freq_factor ` +
          `${scaling.lowFreqFactor}; expected high_freq_factor > low_freq_factor (Llama 3.1 uses 4 and 1)`,
      );
    }
  } else if (type !== "default") {
    r.unsupported(field, spec, expected);
  }
  for (const k of Object.keys(spec ?? {})) {
    if (!allowed.has(k)) {
      r.unsupported(
        field,
        spec,
        `${expected}, without ${JSON.stringify(k)} (cosae knows only ${[...allowed].join(", ")})`,
      );
    }
  }
  if (partial !== undefined && (typeof partial !== "number" || !(partial > 0 && partial <= 1))) {
    r.invalid(`${field}.partial_rotary_factor`, partial, "a number in (0, 1]");
  }
  if (partial !== undefined && partial !== 1 && options.partial !== true) {
    r.unsupported(
      field,
      spec,
      `${expected}, with partial_rotary_factor 1 (the whole head rotates in this family)`,
    );
  }
  return { theta: thetaValue, scaling, partialRotaryFactor: partial as number | undefined };
}
