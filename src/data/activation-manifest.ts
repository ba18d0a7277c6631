/**
 * The manifest of an activation dataset folder (`manifest.json`):
 *
 *   {
 *     "format": "cosae-activations", "version": 1,
 *     "d": 768, "dtype": "f16", "fileFormat": "safetensors", "rows": 131072,
 *     "model": "/models/gpt2", "tokenizer": null, "hook": "blocks.6.hook_resid_post", "source": "corpus.txt",
 *     "contextLength": 128, "createdBy": "cosae harvest 0.1.0",
 *     "vocab": "vocab.json",            // optional: JSON array, token id -> display string
 *     "shards": [{ "file": "shard-00000.safetensors", "rows": 65536,
 *                  "firstSequence": 0, "lastSequence": 511 }, ...],
 *     "complete": false,                // true once the producer called finish()
 *     "next": { "sequence": 1024, "rows": 131072 }   // resume cursor
 *   }
 *
 * Only complete shards are ever listed: the writer renames a shard into place
 * before it rewrites the manifest. Every row carries a token id, a sequence
 * index and a position; a sequence never spans two shards, and sequence
 * indices never decrease along the rows.
 *
 * Shard files: safetensors shards hold `activations` [N, d] plus `token_ids`,
 * `sequence`, `position` [N] (I32). npy shards are `shard-NNNNN.npy` [N, d]
 * with a sibling `shard-NNNNN.tokens.npy`, an int32 [N, 3] table whose columns
 * are (token id, sequence, position).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isPlainFileName } from "../util/plain-file-name.js";

export const MANIFEST_FILE = "manifest.json";
export const MANIFEST_FORMAT = "cosae-activations";
export const MANIFEST_VERSION = 1;

/** The dtypes an activation shard may store. */
export const activationDTypes = ["f32", "f16", "bf16"] as const;
/** A stored activation dtype: `f32`, `f16` or `bf16`. */
export type ActivationDType = (typeof activationDTypes)[number];

/** The file formats of activation shards. */
export const activationFileFormats = ["safetensors", "npy"] as const;
/** An activation shard format: `safetensors` or `npy`. */
export type ActivationFileFormat = (typeof activationFileFormats)[number];

export interface ManifestShard {
  /** file name inside the dataset folder */
  file: string;
  rows: number;
  firstSequence: number;
  lastSequence: number;
}

/** What the producer knows about where the activations came from (all optional). */
export interface ActivationProvenance {
  /** the model file or folder (harvest records it resolved, so it is found from any folder) */
  model: string | null;
  /** the tokenizer file when it was not the one beside the model (resolved), else null */
  tokenizer: string | null;
  hook: string | null;
  /** the text file or corpus the tokens came from */
  source: string | null;
  contextLength: number | null;
  createdBy: string | null;
}

export interface ActivationManifest extends ActivationProvenance {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  d: number;
  dtype: ActivationDType;
  fileFormat: ActivationFileFormat;
  /** sum of the shards' rows */
  rows: number;
  /** vocabulary file name inside the folder, or null */
  vocab: string | null;
  shards: ManifestShard[];
  complete: boolean;
  /** where a resumed producer continues: the next sequence index and the rows written so far */
  next: { sequence: number; rows: number };
}

export class ManifestError extends Error {
  override name = "ManifestError";
}

/** `shard-00042.safetensors` / `shard-00042.npy`. */
export function shardFileName(index: number, fileFormat: ActivationFileFormat): string {
  return `shard-${String(index).padStart(5, "0")}.${fileFormat}`;
}

/** The token table beside an npy shard or single .npy file: `x.npy` -> `x.tokens.npy`. */
export function tokensFileFor(npyFile: string): string {
  return `${npyFile.replace(/\.npy$/, "")}.tokens.npy`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  return JSON.stringify(v);
}

/** Validate a parsed manifest; errors name the file and the field (`shards[3].rows`). */
export function parseActivationManifest(raw: unknown, path: string): ActivationManifest {
  const fail = (field: string, value: unknown, expected: string): never => {
    throw new ManifestError(`${path}: field "${field}" is ${describe(value)}; expected ${expected}`);
  };
  if (!isObject(raw)) throw new ManifestError(`${path}: expected a JSON object, got ${describe(raw)}`);
  if (raw["format"] !== MANIFEST_FORMAT) fail("format", raw["format"], `"${MANIFEST_FORMAT}"`);
  if (raw["version"] !== MANIFEST_VERSION) {
    fail(
      "version",
      raw["version"],
      `${MANIFEST_VERSION} (this cosae reads version ${MANIFEST_VERSION} manifests)`,
    );
  }
  const count = (field: string, v: unknown, min: number): number =>
    typeof v === "number" && Number.isSafeInteger(v) && v >= min ? v : fail(field, v, `an integer >= ${min}`);
  // The vocabulary, like the shards, must be a file of the dataset folder, not a path out of it.
  const insideFolder = (field: string, name: string | null): string | null =>
    name === null || isPlainFileName(name)
      ? name
      : fail(field, name, "a file name inside the dataset folder");
  const text = (field: string, v: unknown): string | null =>
    v === undefined || v === null ? null : typeof v === "string" ? v : fail(field, v, "a string or null");
  const d = count("d", raw["d"], 1);
  const dtype = raw["dtype"];
  if (!activationDTypes.includes(dtype as ActivationDType))
    fail("dtype", dtype, `one of ${activationDTypes.join(", ")}`);
  const fileFormat = raw["fileFormat"];
  if (!activationFileFormats.includes(fileFormat as ActivationFileFormat)) {
    fail("fileFormat", fileFormat, `one of ${activationFileFormats.join(", ")}`);
  }
  if (fileFormat === "npy" && dtype === "bf16") fail("dtype", dtype, "f32 or f16 (.npy has no bf16)");
  const rows = count("rows", raw["rows"], 0);
  if (!Array.isArray(raw["shards"]))
    fail("shards", raw["shards"], "an array of {file, rows, firstSequence, lastSequence}");
  const shards: ManifestShard[] = [];
  let total = 0;
  let previousLast = -1;
  (raw["shards"] as unknown[]).forEach((s, i) => {
    const at = `shards[${i}]`;
    if (!isObject(s)) fail(at, s, "an object {file, rows, firstSequence, lastSequence}");
    const shard = s as Record<string, unknown>;
    const file = shard["file"];
    if (!isPlainFileName(file)) fail(`${at}.file`, file, "a file name inside the dataset folder");
    const shardRows = count(`${at}.rows`, shard["rows"], 1);
    const firstSequence = count(`${at}.firstSequence`, shard["firstSequence"], 0);
    const lastSequence = count(`${at}.lastSequence`, shard["lastSequence"], firstSequence);
    if (firstSequence <= previousLast) {
      fail(
        `${at}.firstSequence`,
        firstSequence,
        `a sequence after the previous shard's last (${previousLast})`,
      );
    }
    previousLast = lastSequence;
    total += shardRows;
    shards.push({ file: file as string, rows: shardRows, firstSequence, lastSequence });
  });
  if (total !== rows) fail("rows", rows, `the sum of the shards' rows (${total})`);
  if (typeof raw["complete"] !== "boolean") fail("complete", raw["complete"], "true or false");
  const next = raw["next"];
  if (!isObject(next)) fail("next", next, "an object {sequence, rows}");
  const nextSequence = count(
    "next.sequence",
    (next as Record<string, unknown>)["sequence"],
    previousLast + 1,
  );
  const nextRows = (next as Record<string, unknown>)["rows"];
  if (nextRows !== rows) fail("next.rows", nextRows, `the dataset's rows (${rows})`);
  return {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    d,
    dtype: dtype as ActivationDType,
    fileFormat: fileFormat as ActivationFileFormat,
    rows,
    model: text("model", raw["model"]),
    tokenizer: text("tokenizer", raw["tokenizer"]),
    hook: text("hook", raw["hook"]),
    source: text("source", raw["source"]),
    contextLength:
      raw["contextLength"] === undefined || raw["contextLength"] === null
        ? null
        : count("contextLength", raw["contextLength"], 1),
    createdBy: text("createdBy", raw["createdBy"]),
    vocab: insideFolder("vocab", text("vocab", raw["vocab"])),
    shards,
    complete: raw["complete"] as boolean,
    next: { sequence: nextSequence, rows },
  };
}

/** Read and validate `folder/manifest.json`. */
export async function readActivationManifest(folder: string): Promise<ActivationManifest> {
  const path = join(folder, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new ManifestError(`${path}: cannot read the manifest: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(`${path}: not valid JSON: ${(e as Error).message}`);
  }
  return parseActivationManifest(raw, path);
}
