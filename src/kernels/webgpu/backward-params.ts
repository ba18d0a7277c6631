/**
 * The uniform every backward shader reads (backward.ts, entry-terms.ts, gradient-rows.ts):
 * the step's sizes, the score's facts as flags, ν and ε; and the per-entry record
 * the passes hand on to each other.
 */
import { type ScoreKind, scoreFacts } from "../score-family.js";
import type { StepShape } from "./device-arrays.js";
import { uniformWords } from "./uniform-words.js";

/** The bits of Params.flags. */
export const backwardFlag = {
  cosine: 1,
  learnsAlpha: 2,
  globalAlpha: 4,
  equivariant: 8,
  centred: 16,
  overwrite: 32,
} as const;

/** The uniform every backward shader reads (fields it does not use are ignored). */
export const backwardParamsWgsl = /* wgsl */ `
struct Params { rows: u32, d: u32, m: u32, nx: u32, flags: u32, nu: f32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
struct Entry { token: u32, z: f32, q: f32, f: f32, zq: f32, h: f32, u: f32, a: f32 }
fn has(bit: u32) -> bool { return (p.flags & bit) != 0u; }
// ln r_t, as loss.ts: ln max(n / ν, smallest float)
fn logRatio(n: f32) -> f32 { return log(max(n / p.nu, 1.17549435e-38)); }
`;

/** What a backward dispatch's flags say. */
export interface BackwardFlags {
  score: ScoreKind;
  equivariant: boolean;
  centred: boolean;
  overwrite: boolean;
}

/** The uniform words of a backward dispatch whose x dimension has `nx` workgroups. */
export function backwardParams(shape: StepShape, f: BackwardFlags, nx: number): Uint32Array {
  const { cosine, alpha } = scoreFacts(f.score);
  const flags =
    (cosine ? backwardFlag.cosine : 0) |
    (alpha !== "fixed" ? backwardFlag.learnsAlpha : 0) |
    (alpha === "global" ? backwardFlag.globalAlpha : 0) |
    (f.equivariant ? backwardFlag.equivariant : 0) |
    (f.centred ? backwardFlag.centred : 0) |
    (f.overwrite ? backwardFlag.overwrite : 0);
  const { rows, d, m, nu, eps } = shape;
  return uniformWords([rows, d, m, nx, flags], [nu, eps]);
}
