/**
 * Reader of a Hugging Face model folder of any family cosae runs:
 * config.json → model_type → the family (families/registry.ts), which maps
 * the config onto a DecoderConfig and the tensors onto DecoderWeights.
 * Weights come from model.safetensors or the shards that
 * model.safetensors.index.json lists, in F32, F16 or BF16. A tensor the family
 * does not read, other than the buffers it names, is refused: it may belong to
 * a feature cosae does not implement, and is never silently dropped.
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { readSafetensors, type TensorEntry, toFloat32 } from "../io/safetensors.js";
import { firstNonFiniteIndex } from "../util/non-finite.js";
import { isPlainFileName } from "../util/plain-file-name.js";
import { withPathContext } from "../util/system-error.js";
import type { DecoderConfig, DecoderWeights } from "./decoder-config.js";
import type { ModelFamily } from "./families/family.js";
import { parseFamilyConfig } from "./families/registry.js";
import { WeightLayoutError } from "./families/weight-layout-error.js";
import { ModelFormatError } from "./model-format-error.js";

export interface HfFolder {
  readonly family: ModelFamily;
  readonly config: DecoderConfig;
  readonly weights: DecoderWeights;
  /** folder/config.json. */
  readonly configPath: string;
  readonly bosId: number | undefined;
  /** The first of eos_token_id when it is a list (Llama 3.1 lists three). */
  readonly eosId: number | undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readJson(path: string): Promise<unknown> {
  const text = await withPathContext("the Hugging Face folder", path, () => readFile(path, "utf8"));
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ModelFormatError(
      `${path}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Tensors of all weight files by name, each with the file it came from. */
async function readWeightFiles(folder: string): Promise<Map<string, { entry: TensorEntry; file: string }>> {
  const indexPath = join(folder, "model.safetensors.index.json");
  let files: string[];
  const indexed = await exists(indexPath);
  if (indexed) {
    const index = await readJson(indexPath);
    const weightMap = isRecord(index) ? index["weight_map"] : undefined;
    if (!isRecord(weightMap)) {
      throw new ModelFormatError(
        `${indexPath}: expected an object with "weight_map": {tensor name: file name}`,
      );
    }
    // Shards must lie beside the index: a downloaded folder must not make cosae read files elsewhere.
    for (const [tensor, file] of Object.entries(weightMap)) {
      if (!isPlainFileName(file)) {
        throw new ModelFormatError(
          `${indexPath}: weight_map["${tensor}"] is ${JSON.stringify(file)}; expected the name of a ` +
            `safetensors file inside ${folder} (no folders, no absolute path)`,
        );
      }
    }
    files = [...new Set(Object.values(weightMap) as string[])].sort();
  } else if (await exists(join(folder, "model.safetensors"))) {
    files = ["model.safetensors"];
  } else {
    throw new ModelFormatError(
      `${folder}: no model.safetensors or model.safetensors.index.json; expected safetensors weights ` +
        "(pytorch_model.bin is not read)",
    );
  }
  const tensors = new Map<string, { entry: TensorEntry; file: string }>();
  for (const f of files) {
    const path = join(folder, f);
    const what = indexed ? `a shard named in ${indexPath}` : "the weights";
    const file = await withPathContext(what, path, () => readSafetensors(path));
    for (const [name, entry] of Object.entries(file.tensors)) {
      const earlier = tensors.get(name);
      if (earlier !== undefined) {
        throw new ModelFormatError(
          `${path}: tensor "${name}" is also in ${earlier.file}; expected each tensor in one file`,
        );
      }
      tensors.set(name, { entry, file: path });
    }
  }
  return tensors;
}

/** A token id field: a number, or the first of a list of numbers; anything else gives undefined. */
function tokenId(json: Record<string, unknown>, field: string): number | undefined {
  const v = json[field];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === "number" && Number.isSafeInteger(first) ? first : undefined;
}

/** Refuses token id fields that are neither null, an id, nor (eos) a list of ids. */
function checkTokenIds(json: Record<string, unknown>, source: string): void {
  for (const field of ["bos_token_id", "eos_token_id"]) {
    const v = json[field];
    const isId = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
    const ok =
      v === undefined ||
      v === null ||
      isId(v) ||
      (field === "eos_token_id" && Array.isArray(v) && v.length > 0 && v.every(isId));
    if (!ok) {
      throw new ModelFormatError(
        `${source}: field "${field}" is ${JSON.stringify(v)}; expected null or a token id` +
          (field === "eos_token_id" ? " (or a list of token ids)" : ""),
      );
    }
  }
}

export async function readHfFolder(folder: string): Promise<HfFolder> {
  const configPath = join(folder, "config.json");
  const json = await readJson(configPath);
  const { family, config } = parseFamilyConfig(json, configPath);
  const record = json as Record<string, unknown>;
  checkTokenIds(record, configPath);
  const tensors = await readWeightFiles(folder);
  const read = new Set<string>();
  const take = (name: string, shape: readonly number[]): Float32Array => {
    const found = tensors.get(name);
    if (found === undefined) {
      throw new ModelFormatError(
        `${folder}: tensor "${name}" is missing; expected shape [${shape.join(", ")}] in the weight files ` +
          `of this ${family.modelType} model`,
      );
    }
    const { entry, file } = found;
    if (entry.shape.length !== shape.length || entry.shape.some((d, i) => d !== shape[i])) {
      throw new ModelFormatError(
        `${file}: tensor "${name}" has shape [${entry.shape.join(", ")}]; expected [${shape.join(", ")}] ` +
          `from ${configPath}`,
      );
    }
    if (entry.dtype !== "F32" && entry.dtype !== "F16" && entry.dtype !== "BF16") {
      throw new ModelFormatError(
        `${file}: tensor "${name}" has dtype ${entry.dtype}; expected F32, F16 or BF16`,
      );
    }
    const values = toFloat32(entry);
    // One NaN or Inf weight spreads to every activation: refuse it here, naming where it is.
    const bad = firstNonFiniteIndex(values);
    if (bad >= 0) {
      throw new ModelFormatError(
        `${file}: tensor "${name}" holds ${values[bad]} at index ${bad}` +
          (shape.length === 2 ? ` (row ${Math.floor(bad / shape[1]!)}, column ${bad % shape[1]!})` : "") +
          "; expected finite weights — the model is corrupt or was saved from a diverged run",
      );
    }
    read.add(name);
    return values;
  };
  let weights: DecoderWeights;
  try {
    weights = family.readWeights(config, take, (name) => tensors.has(name));
  } catch (err) {
    if (err instanceof WeightLayoutError) throw new ModelFormatError(`${folder}: ${err.message}`);
    throw err;
  }
  const buffers = family.buffers ?? [];
  for (const [name, { file }] of tensors) {
    if (read.has(name) || buffers.some((b) => b.test(name))) continue;
    throw new ModelFormatError(
      `${file}: tensor "${name}" is not part of a ${family.modelType} model as ${configPath} describes it; ` +
        "cosae refuses a tensor it would not use (it may belong to a feature cosae does not implement) — " +
        "check that config.json matches the weights",
    );
  }
  return {
    family,
    config,
    weights,
    configPath,
    bosId: tokenId(record, "bos_token_id"),
    eosId: tokenId(record, "eos_token_id"),
  };
}
