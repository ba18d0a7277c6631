import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { configFile, writeSaeFolder } from "../io/sae-folder.js";
import { readSaeLensFolder } from "../io/saelens-import.js";
import { checkWritableFolder } from "../util/writable-path.js";
import { checkOut, writeOutFolder } from "./export-command.js";

export const importHelp = `cosae import SAELENS_DIR --out DIR

Converts a SAELens SAE folder (cfg.json + sae_weights.safetensors; the v6 layout
or the older flat one) to a cosae SAE folder, exactly (docs/saelens.md):
architectures standard, topk, batchtopk (a training checkpoint, read as SAELens
saves it for inference) and jumprelu; weights in F32, F16 or BF16. The result
scores with the inner product (s = 1), sparsifies with topk or jumprelu
(per-latent thresholds; standard is JumpReLU at 0), and has
apply_b_dec_to_input, finetuning scaling factors and decoder-norm rescaling
folded into its weights. Refused, naming the field: other normalize_activations
modes, other architectures, missing or ill-shaped tensors, NaN or Inf.
cosae eval, inspect and export also read SAELens folders directly.

  --out DIR   the cosae folder to write (replaced whole if it holds an SAE)`;

export async function importCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: "string" } },
    strict: true,
  });
  if (positionals.length !== 1) throw new Error('import takes one SAELens folder; see "cosae help import"');
  const input = positionals[0]!;
  const out = checkOut(values.out, input);
  await checkWritableFolder("--out", out);
  const cfgPath = join(input, configFile);
  const architecture = await readFile(cfgPath, "utf8")
    .then((text) => (JSON.parse(text) as { architecture?: unknown }).architecture)
    .catch(() => undefined); // unreadable: the import below says why
  if (architecture === "cosae") throw new Error(`${input} is already a cosae SAE folder; nothing to import`);

  const imported = await readSaeLensFolder(input);
  const { sae } = imported;
  const metadata = {
    ...imported.metadata,
    imported_from: {
      format: "saelens",
      folder: resolve(input),
      architecture: imported.architecture,
      layout: imported.layout,
      folded: imported.folded,
    },
  };
  await writeOutFolder(out, (tmp) => writeSaeFolder(tmp, sae, metadata));
  const c = sae.config;
  process.stdout.write(
    `wrote ${out} (cosae: ${c.score} score, ${c.activation}${c.activation === "topk" ? ` k=${c.k}` : ""}, d=${c.d}, m=${c.m}) ` +
      `from SAELens ${imported.architecture} (${imported.layout} cfg.json)` +
      `${imported.folded.length > 0 ? `; folded: ${imported.folded.join("; ")}` : ""}\n`,
  );
}
