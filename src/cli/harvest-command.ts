import { join } from "node:path";
import { parseArgs } from "node:util";
import { fieldHelp, flagOptions, parseFlagValues, splitList, validateFields } from "../config/fields.js";
import { type HarvestProgress, harvest } from "../data/harvest.js";
import { harvestFields, harvestSettings } from "../data/harvest-config.js";
import { chooseKernels, type KernelsKind } from "../kernels/choose-kernels.js";
import { loadTransformer } from "../transformer/load-model.js";
import { formatRate, ProgressBar } from "./progress.js";

export const harvestHelp = `cosae harvest --model PATH --text FILE --hook NAME --out DIR [options]

Runs the model over the corpus and writes the hook's activations as a shard folder
with token ids, sequence numbers and positions (manifest.json, vocab.json), ready
for "cosae train --data DIR". Shards are written whole and listed in the manifest
only then, so a killed harvest keeps what it wrote; --resume continues it.

Options:
${fieldHelp(harvestFields)}`;

export async function harvestCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: flagOptions(harvestFields), strict: true });
  const o = validateFields(
    harvestFields,
    parseFlagValues(harvestFields, values as Record<string, string | boolean | undefined>),
    "command line",
  );
  const missing = (["model", "text", "hook", "out"] as const).filter((name) => o[name] === null);
  if (missing.length > 0)
    throw new Error(`harvest needs ${missing.map((n) => `--${n}`).join(", ")}; see "cosae help harvest"`);
  const hooks = splitList(String(o.hook));
  if (new Set(hooks).size !== hooks.length) throw new Error(`--hook names "${o.hook}" repeat a hook`);
  const out = String(o.out);
  const outputs = hooks.map((hook) => ({ hook, folder: hooks.length === 1 ? out : join(out, hook) }));

  const tokenizerPath = o.tokenizer === null ? null : String(o.tokenizer);
  const model = await loadTransformer(
    String(o.model),
    tokenizerPath === null ? {} : { tokenizer: tokenizerPath },
  ).catch((err: Error) => {
    // Name the option the failing file came from.
    const option = tokenizerPath !== null && err.message.includes(tokenizerPath) ? "--tokenizer" : "--model";
    throw new Error(`${option}: ${err.message.replace(/^the tokenizer: /, "")}`, { cause: err });
  });
  const kernels = await chooseKernels(Number(o.threads), o.kernels as KernelsKind);
  process.stderr.write(`${kernels.description}\n`);
  try {
    const bar = new ProgressBar("harvest", 1);
    const result = await harvest({
      model,
      modelPath: String(o.model),
      tokenizerPath,
      text: String(o.text),
      outputs,
      ...harvestSettings(o),
      kernels,
      onProgress: harvestProgress(bar, o.maxTokens === null ? null : Number(o.maxTokens)),
    });
    for (const [i, { hook, folder }] of outputs.entries()) {
      process.stdout.write(
        `wrote ${folder}: ${hook}, ${result.rows[i]} rows in ${result.shards[i]} shards\n`,
      );
    }
    process.stdout.write(
      `${result.tokens} tokens in ${result.seconds.toFixed(1)} s: ${result.tokensPerSecond.toFixed(0)} tokens/s (${kernels.name})\n`,
    );
  } finally {
    await kernels.dispose();
  }
}

/** Harvest progress on a bar of 1: documents done, or rows against `maxRows` when the harvest stops there. */
export function harvestProgress(bar: ProgressBar, maxRows: number | null): (p: HarvestProgress) => void {
  return (p) =>
    bar.show(
      maxRows === null ? p.documentsDone / p.documents : p.totalRows / maxRows,
      `${p.totalRows} rows, ${p.documentsDone}/${p.documents} documents, ${formatRate(p.tokensPerSecond)} tok/s`,
    );
}
