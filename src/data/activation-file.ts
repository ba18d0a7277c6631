/**
 * One file of activations [N, d] (a shard, or a whole single-file dataset),
 * opened by reading only its header: row ranges are then read from disk at
 * their byte offset and widened to float32.
 *
 * - `.safetensors`: the tensor named `activations`, else the only 2-D float
 *   tensor (F32, F16, BF16); optional `token_ids`, `sequence`, `position` [N]
 *   (I32 or I64).
 * - `.npy`: an [N, d] array of <f4 or <f2 (<f8 is read too); optional sibling
 *   `x.tokens.npy`, int [N, 3] (token id, sequence, position) or [N] (token
 *   ids only; sequence and position are then -1).
 */
import { existsSync } from "node:fs";
import { isRowRange, readFileRange } from "../io/file-range.js";
import { bf16ToF32, f16ToF32 } from "../io/half.js";
import {
  type NpyHeader,
  npyRowElements,
  npyToFloat32,
  npyToInt32,
  readNpyHeader,
  readNpyRows,
} from "../io/npy.js";
import { DTYPE_SIZE, readSafetensorsHeader, type TensorInfo } from "../io/safetensors.js";
import { type ActivationDType, tokensFileFor } from "./activation-manifest.js";

/** Per row: its token id, the index of its sequence (context) and its position in it. */
export interface TokenRows {
  ids: Int32Array;
  sequence: Int32Array;
  position: Int32Array;
}

export interface ActivationFile {
  path: string;
  rows: number;
  d: number;
  /** the stored dtype (f64 .npy files report "f32": they are narrowed on read) */
  dtype: ActivationDType;
  hasTokens: boolean;
  /** rows [start, start + count) as float32, row-major [count, d] */
  readRows(start: number, count: number): Promise<Float32Array>;
  /** token ids, sequences and positions of rows [start, start + count) */
  readTokens(start: number, count: number): Promise<TokenRows>;
  /** only the token ids of rows [start, start + count) (cheaper where they are stored apart) */
  readTokenIds(start: number, count: number): Promise<Int32Array>;
}

export class ActivationFileError extends Error {
  override name = "ActivationFileError";
}

const TOKEN_TENSORS = ["token_ids", "sequence", "position"] as const;

function checkRange(path: string, rows: number, start: number, count: number): void {
  if (!isRowRange(rows, start, count)) {
    throw new ActivationFileError(`${path}: rows [${start}, ${start + count}) are outside its ${rows} rows`);
  }
}

/** An [N, d] array with no rows or no columns holds no activations: refused when opened, not when used. */
function checkNotEmpty(path: string, shape: string, rows: number, d: number): void {
  if (rows >= 1 && d >= 1) return;
  throw new ActivationFileError(
    `${path}: ${shape} holds no activations (${d < 1 ? `d = ${d}` : `${rows} rows`}); ` +
      "expected [N, d] with N ≥ 1 rows of d ≥ 1 values",
  );
}

/** Open a .npy or .safetensors activation file by its extension. */
export async function openActivationFile(path: string): Promise<ActivationFile> {
  if (path.endsWith(".npy")) return openNpyActivations(path);
  if (path.endsWith(".safetensors")) return openSafetensorsActivations(path);
  throw new ActivationFileError(
    `${path}: unknown activation file type; expected a .npy or .safetensors file`,
  );
}

// ---------------------------------------------------------------------------
// .npy

async function openNpyActivations(path: string): Promise<ActivationFile> {
  const header = await readNpyHeader(path);
  if (header.shape.length !== 2) {
    throw new ActivationFileError(
      `${path}: header shape (${header.shape.join(", ")}) has ${header.shape.length} axes; expected [N, d]`,
    );
  }
  if (!["f4", "f2", "f8"].includes(header.dtype)) {
    throw new ActivationFileError(
      `${path}: header dtype <${header.dtype}; expected float activations (<f4 or <f2)`,
    );
  }
  const [rows, d] = header.shape as [number, number];
  checkNotEmpty(path, `header shape (${header.shape.join(", ")})`, rows, d);
  const tokensPath = tokensFileFor(path);
  const tokens = existsSync(tokensPath) ? await readNpyHeader(tokensPath) : null;
  if (tokens) checkNpyTokens(tokens, rows);
  const file: ActivationFile = {
    path,
    rows,
    d,
    dtype: header.dtype === "f2" ? "f16" : "f32",
    hasTokens: tokens !== null,
    async readRows(start, count) {
      checkRange(path, rows, start, count);
      return npyToFloat32(header.dtype, await readNpyRows(header, start, count));
    },
    async readTokens(start, count) {
      checkRange(path, rows, start, count);
      if (!tokens) throw new ActivationFileError(`${path}: no token ids (expected ${tokensPath})`);
      const table = npyToInt32(tokens.dtype, await readNpyRows(tokens, start, count), tokens.path);
      if (tokens.shape.length === 1) {
        return {
          ids: table,
          sequence: new Int32Array(count).fill(-1),
          position: new Int32Array(count).fill(-1),
        };
      }
      const out = {
        ids: new Int32Array(count),
        sequence: new Int32Array(count),
        position: new Int32Array(count),
      };
      for (let i = 0; i < count; i++) {
        out.ids[i] = table[3 * i]!;
        out.sequence[i] = table[3 * i + 1]!;
        out.position[i] = table[3 * i + 2]!;
      }
      return out;
    },
    async readTokenIds(start, count) {
      return (await file.readTokens(start, count)).ids;
    },
  };
  return file;
}

function checkNpyTokens(tokens: NpyHeader, rows: number): void {
  const shapeOk =
    tokens.shape[0] === rows &&
    (tokens.shape.length === 1 || (tokens.shape.length === 2 && npyRowElements(tokens.shape) === 3));
  if (!shapeOk) {
    throw new ActivationFileError(
      `${tokens.path}: header shape (${tokens.shape.join(", ")}); expected (${rows}, 3) (token id, sequence, ` +
        `position) or (${rows},) to match the ${rows} activation rows`,
    );
  }
  if (tokens.dtype !== "i4" && tokens.dtype !== "i8") {
    throw new ActivationFileError(`${tokens.path}: header dtype <${tokens.dtype}; expected <i4 or <i8`);
  }
}

// ---------------------------------------------------------------------------
// .safetensors

const FLOAT_DTYPES: Readonly<Record<string, ActivationDType>> = { F32: "f32", F16: "f16", BF16: "bf16" };

function pickActivations(tensors: TensorInfo[], path: string): TensorInfo {
  const named = tensors.find((t) => t.name === "activations");
  if (named) return named;
  const candidates = tensors.filter((t) => t.shape.length === 2 && Object.hasOwn(FLOAT_DTYPES, t.dtype));
  if (candidates.length === 1) return candidates[0]!;
  throw new ActivationFileError(
    `${path}: no tensor named "activations" and ${candidates.length} 2-D float tensors ` +
      `(${candidates.map((t) => t.name).join(", ") || "none"}); expected "activations" [N, d] or exactly one`,
  );
}

async function openSafetensorsActivations(path: string): Promise<ActivationFile> {
  const header = await readSafetensorsHeader(path);
  const acts = pickActivations(header.tensors, path);
  const dtype = FLOAT_DTYPES[acts.dtype];
  if (dtype === undefined) {
    throw new ActivationFileError(
      `${path}: tensor "${acts.name}" has dtype ${acts.dtype}; expected F32, F16 or BF16`,
    );
  }
  if (acts.shape.length !== 2) {
    throw new ActivationFileError(
      `${path}: tensor "${acts.name}" has shape [${acts.shape.join(", ")}]; expected [N, d]`,
    );
  }
  const [rows, d] = acts.shape as [number, number];
  checkNotEmpty(path, `tensor "${acts.name}" has shape [${acts.shape.join(", ")}]`, rows, d);
  const token = new Map<string, TensorInfo>();
  for (const name of TOKEN_TENSORS) {
    const t = header.tensors.find((x) => x.name === name);
    if (!t) continue;
    if ((t.dtype !== "I32" && t.dtype !== "I64") || t.shape.length !== 1 || t.shape[0] !== rows) {
      throw new ActivationFileError(
        `${path}: tensor "${name}" is ${t.dtype} [${t.shape.join(", ")}]; expected I32 or I64 [${rows}]`,
      );
    }
    token.set(name, t);
  }
  const elementSize = DTYPE_SIZE[acts.dtype];

  async function readInts(t: TensorInfo | undefined, start: number, count: number): Promise<Int32Array> {
    if (!t) return new Int32Array(count).fill(-1);
    const size = DTYPE_SIZE[t.dtype];
    const bytes = await readFileRange(path, header.dataStart + t.begin + start * size, count * size);
    if (t.dtype === "I32") return new Int32Array(bytes.buffer, 0, count);
    const wide = new BigInt64Array(bytes.buffer, 0, count);
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const v = wide[i]!;
      if (v < -2147483648n || v > 2147483647n) {
        throw new ActivationFileError(
          `${path}: tensor "${t.name}" element ${start + i} is ${v}; expected an int32`,
        );
      }
      out[i] = Number(v);
    }
    return out;
  }

  return {
    path,
    rows,
    d,
    dtype,
    hasTokens: token.has("token_ids"),
    async readRows(start, count) {
      checkRange(path, rows, start, count);
      const bytes = await readFileRange(
        path,
        header.dataStart + acts.begin + start * d * elementSize,
        count * d * elementSize,
      );
      const n = count * d;
      if (dtype === "f32") return new Float32Array(bytes.buffer, 0, n);
      const bits = new Uint16Array(bytes.buffer, 0, n);
      return dtype === "f16" ? f16ToF32(bits) : bf16ToF32(bits);
    },
    async readTokens(start, count) {
      checkRange(path, rows, start, count);
      if (!token.has("token_ids")) throw new ActivationFileError(`${path}: no tensor "token_ids"`);
      return {
        ids: await readInts(token.get("token_ids"), start, count),
        sequence: await readInts(token.get("sequence"), start, count),
        position: await readInts(token.get("position"), start, count),
      };
    },
    async readTokenIds(start, count) {
      checkRange(path, rows, start, count);
      if (!token.has("token_ids")) throw new ActivationFileError(`${path}: no tensor "token_ids"`);
      return readInts(token.get("token_ids"), start, count);
    },
  };
}
