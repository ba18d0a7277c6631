/**
 * The tiny Hugging Face folders of every family, written by the seeded NumPy
 * generator (test/reference/make_model_fixture.py), and the independent
 * float64 reference forward (test/reference/reference_forward.py) that the
 * agreement tests compare cosae against. Both need python3 with NumPy; the
 * tests skip without it, except under CI=true (optional-part.ts).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readNpy, writeNpy } from "../../src/io/npy.js";

export const FAMILIES = ["gpt2", "gpt_neox", "gemma2", "llama", "qwen2"] as const;
export type Family = (typeof FAMILIES)[number];

// From dist/test/helpers/ up to the repository root: the Python files are not compiled.
const referenceFolder = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "test", "reference");

/** Why python3 with NumPy cannot run, or null when it can. */
export const numpyMissing: string | null = (() => {
  const r = spawnSync("python3", ["-c", "import numpy"], { encoding: "utf8" });
  if (r.error) return `python3 could not start (${r.error.message}); run node scripts/setup.mjs`;
  if (r.status !== 0)
    return `python3 has no NumPy (${r.stderr.trim().split("\n").pop()}); run node scripts/setup.mjs`;
  return null;
})();

export interface FixtureOptions {
  readonly seed?: number;
  readonly dtype?: "F32" | "F16" | "BF16";
  readonly shards?: number;
  /** "hub": the published checkpoints' extra buffers and (GPT-2) names without "transformer.". */
  readonly layout?: "saved" | "hub";
  /** config.json as this transformers major version writes it (5: rope_parameters, layer_types, dtype). */
  readonly transformers?: 4 | 5;
  /** config.json fields to override, in the v4 form (shapes follow). */
  readonly set?: Readonly<Record<string, unknown>>;
}

function python(args: string[], what: string): void {
  // Reached without NumPy only under CI=true (the tests skip otherwise): say what is missing, once.
  if (numpyMissing) throw new Error(`python3 with NumPy missing: ${numpyMissing}`);
  const r = spawnSync("python3", args, { encoding: "utf8", timeout: 120_000 });
  if (r.error || r.status !== 0) {
    throw new Error(`${what} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr}`);
  }
}

/** Writes the family's fixture folder at `out` (created). */
export function makeModelFixture(family: Family, out: string, options: FixtureOptions = {}): string {
  const args = [join(referenceFolder, "make_model_fixture.py"), family, out];
  if (options.seed !== undefined) args.push("--seed", String(options.seed));
  if (options.dtype) args.push("--dtype", options.dtype);
  if (options.shards) args.push("--shards", String(options.shards));
  if (options.layout) args.push("--layout", options.layout);
  if (options.transformers) args.push("--transformers", String(options.transformers));
  for (const [key, value] of Object.entries(options.set ?? {}))
    args.push("--set", `${key}=${JSON.stringify(value)}`);
  python(args, `make_model_fixture.py ${family}`);
  return out;
}

/** The reference's arrays for one sequence: float64, [tokens, width] row-major. */
export interface ReferenceSequence {
  readonly tokens: number;
  readonly arrays: ReadonlyMap<string, Float64Array>;
}

export interface ReferenceRun {
  /** Hook names in the order the forward reaches them (logits not included). */
  readonly hooks: readonly string[];
  readonly sequences: readonly ReferenceSequence[];
}

/**
 * Runs the float64 reference on `folder` for these token sequences; `work` is a scratch folder. For each
 * hook in `editEach` it also gives `logits.edit.HOOK`: the logits with that hook's value replaced by
 * 0.5·value + 0.3·|value| downstream.
 */
export async function referenceForward(
  folder: string,
  sequences: readonly (readonly number[])[],
  work: string,
  editEach: readonly string[] = [],
): Promise<ReferenceRun> {
  mkdirSync(work, { recursive: true });
  const tokens = join(work, "tokens.json");
  writeFileSync(tokens, JSON.stringify(sequences));
  const edits = editEach.length > 0 ? ["--edit-each", editEach.join(",")] : [];
  python(
    [join(referenceFolder, "reference_forward.py"), folder, tokens, work, ...edits],
    `reference_forward.py ${folder}`,
  );
  const index = JSON.parse(readFileSync(join(work, "index.json"), "utf8")) as {
    hooks: string[];
    sequences: { tokens: number; files: Record<string, string> }[];
  };
  const out: ReferenceSequence[] = [];
  for (const s of index.sequences) {
    const arrays = new Map<string, Float64Array>();
    for (const [name, file] of Object.entries(s.files)) {
      arrays.set(name, (await readNpy(join(work, file))).data as Float64Array);
    }
    out.push({ tokens: s.tokens, arrays });
  }
  return { hooks: index.hooks, sequences: out };
}

/** The float64 logit lens W_U (g ⊙ x) of directions [rows, d] (test/reference/logit_lens.py): [rows, vocab]. */
export async function referenceLogitLens(
  folder: string,
  directions: Float32Array,
  rows: number,
  work: string,
): Promise<Float64Array> {
  mkdirSync(work, { recursive: true });
  const input = join(work, "directions.npy");
  const output = join(work, "logits.npy");
  await writeNpy(input, directions, [rows, directions.length / rows]);
  python([join(referenceFolder, "logit_lens.py"), folder, input, output], `logit_lens.py ${folder}`);
  return (await readNpy(output)).data as Float64Array;
}

/** max|a − b| / max|b|: the agreement measure of every reference test. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs reference ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Seeded token ids in [0, below), one sequence per length (an LCG: the same ids on every run). */
export function tokenSequences(lengths: readonly number[], below: number, seed = 1): number[][] {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
  return lengths.map((n) => Array.from({ length: n }, () => next() % below));
}
