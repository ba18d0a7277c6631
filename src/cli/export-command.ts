import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { readActivationManifest } from "../data/activation-manifest.js";
import { writeCosaeExport } from "../io/cosae-export.js";
import { loadSae } from "../io/load-sae.js";
import { configFile, replaceFolder } from "../io/sae-folder.js";
import { saeLensTarget, writeSaeLensFolder } from "../io/saelens-export.js";
import { withPathContext } from "../util/system-error.js";
import { checkWritableFolder } from "../util/writable-path.js";

export const exportHelp = `cosae export SAE --out DIR [--format saelens|cosae] [--modelName NAME] [--hookName NAME]

Writes the SAE folder SAE (cosae's, or a SAELens one) for use outside cosae (docs/saelens.md):
  saelens   an inner-score SAE as a SAELens folder (SAE.load_from_disk): batchtopk and jumprelu
            become SAELens "jumprelu" (threshold τ), topk stays "topk"; the input scale s is
            folded into the weights, so on raw activations SAELens gives cosae's codes and
            reconstruction exactly.
  cosae     cosae's own folder, whose cfg.json spells out the whole computation (score_formula),
            plus a README.md with a NumPy reference; the only choice for the cosine family.
  default: saelens when the SAE can be written so, else cosae (with a note why).

  --out DIR         the folder to write (replaced whole if it holds an SAE; refused if it holds anything else)
  --modelName NAME  metadata.model_name for SAELens (default: the SAE's metadata, or its training data's manifest)
  --hookName NAME   metadata.hook_name for SAELens (same default)`;

const formats = ["saelens", "cosae"] as const;

export async function exportCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      format: { type: "string" },
      modelName: { type: "string" },
      hookName: { type: "string" },
    },
    strict: true,
  });
  if (positionals.length !== 1) throw new Error('export takes one SAE folder; see "cosae help export"');
  const input = positionals[0]!;
  const out = checkOut(values.out, input);
  await checkWritableFolder("--out", out);
  const format = values.format;
  if (format !== undefined && !(formats as readonly string[]).includes(format))
    throw new Error(`--format: expected one of ${formats.join(", ")}, got "${format}"`);
  for (const flag of ["modelName", "hookName"] as const) {
    if (values[flag] !== undefined && values[flag].trim() === "")
      throw new Error(`--${flag}: expected a non-empty name`);
  }

  const loaded = await loadSae(input);
  const { sae } = loaded;
  const target = saeLensTarget(sae);
  if (format === "saelens" && "reason" in target)
    throw new Error(`${input} cannot be written as SAELens: ${target.reason}; use --format cosae`);
  const asSaeLens = format !== "cosae" && !("reason" in target);
  if (format === undefined && "reason" in target)
    process.stderr.write(`note: writing cosae's format, not SAELens: ${target.reason}\n`);

  const metadata = { ...(await trainingProvenance(input)), ...loaded.metadata };
  if (values.modelName !== undefined) metadata.model_name = values.modelName;
  if (values.hookName !== undefined) metadata.hook_name = values.hookName;
  const c = sae.config;
  const what = `${c.score} score, ${c.activation}${c.activation === "jumprelu" ? "" : ` k=${c.k}`}, d=${c.d}, m=${c.m}`;
  if (asSaeLens) {
    let architecture = "";
    await writeOutFolder(out, async (tmp) => {
      architecture = await writeSaeLensFolder(tmp, sae, metadata);
    });
    const folded = sae.constants.scale === 1 ? "" : `, s = ${sae.constants.scale.toPrecision(6)} folded in`;
    process.stdout.write(
      `wrote ${out} (SAELens ${architecture}: cfg.json, sae_weights.safetensors) from ${input} (${what}${folded})\n`,
    );
  } else {
    await writeOutFolder(out, (tmp) => writeCosaeExport(tmp, sae, metadata));
    process.stdout.write(
      `wrote ${out} (cosae: cfg.json, sae_weights.safetensors, README.md) from ${input} (${what})\n`,
    );
  }
}

/** --out must be given, differ from the input, and not be a folder holding something other than an SAE. */
export function checkOut(out: string | undefined, input: string): string {
  if (out === undefined || out === "") throw new Error("--out DIR is required");
  if (resolve(out) === resolve(input)) throw new Error(`--out ${out} is the input folder; write elsewhere`);
  // Replacing a folder around the input deletes the input; one inside it clutters the SAE folder.
  if (isInside(resolve(input), resolve(out)))
    throw new Error(
      `--out ${out} holds the input folder ${input}, and would be replaced with it; write elsewhere`,
    );
  if (isInside(resolve(out), resolve(input)))
    throw new Error(`--out ${out} is inside the input folder ${input}; write elsewhere`);
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new Error(`--out ${out} exists and is not a folder`);
    if (readdirSync(out).length > 0 && !existsSync(join(out, configFile)))
      throw new Error(
        `--out ${out} exists and does not hold an SAE (no ${configFile}); choose another folder`,
      );
  }
  return out;
}

/** Is `path` strictly inside `folder`? (both resolved) */
function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

/**
 * Writes the folder `out` whole through `write`, naming --out in a system error
 * (a full disk, a file in the way); the folder that was there stays as it was.
 */
export async function writeOutFolder(out: string, write: (tmp: string) => Promise<void>): Promise<void> {
  await withPathContext("--out", out, async () => {
    await mkdir(dirname(resolve(out)), { recursive: true });
    await replaceFolder(resolve(out), write);
  });
}

/**
 * model_name, hook_name and context_size of an SAE that cosae trained on a
 * harvested dataset: its run.json (beside the sae/ folder) names the dataset,
 * whose manifest names the model and hook. Empty when any of that is missing.
 */
async function trainingProvenance(saeFolder: string): Promise<Record<string, unknown>> {
  try {
    const run = JSON.parse(readFileSync(join(dirname(resolve(saeFolder)), "run.json"), "utf8"));
    const path = run?.data?.activations?.path;
    if (typeof path !== "string") return {};
    const manifest = await readActivationManifest(path);
    const out: Record<string, unknown> = {};
    if (manifest.model) out.model_name = manifest.model;
    if (manifest.hook) out.hook_name = manifest.hook;
    if (manifest.contextLength) out.context_size = manifest.contextLength;
    return out;
  } catch {
    return {}; // not a cosae run folder, or its data has moved: nothing to add
  }
}
