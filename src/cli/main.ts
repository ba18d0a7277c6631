#!/usr/bin/env node
import { describeUncaught } from "../util/system-error.js";
import { compareCommand, compareHelp } from "./compare-command.js";
import { evalCommand, evalHelp } from "./eval-command.js";
import { exportCommand, exportHelp } from "./export-command.js";
import { harvestCommand, harvestHelp } from "./harvest-command.js";
import { importCommand, importHelp } from "./import-command.js";
import { inspectCommand, inspectHelp } from "./inspect-command.js";
import { serveCommand, serveHelp } from "./serve-command.js";
import { trainCommand, trainHelp } from "./train-command.js";

const commands: Record<string, { run: (argv: string[]) => Promise<void>; help: string }> = {
  train: { run: trainCommand, help: trainHelp },
  harvest: { run: harvestCommand, help: harvestHelp },
  compare: { run: compareCommand, help: compareHelp },
  eval: { run: evalCommand, help: evalHelp },
  serve: { run: serveCommand, help: serveHelp },
  export: { run: exportCommand, help: exportHelp },
  import: { run: importCommand, help: importHelp },
  inspect: { run: inspectCommand, help: inspectHelp },
};

const usage = `cosae — cosine-scored sparse autoencoders

Commands:
  cosae train     train one SAE (synthetic data or --data activations; checkpoints, --resume)
  cosae harvest   run a transformer over a text corpus and write a hook's activations as shards
  cosae compare   train every score family at several k and compare them at matched FVU (report.html)
  cosae eval      evaluate SAE folders on held-out tokens (every DESIGN §4 measure, spliced loss)
  cosae serve     browse latents in a web page: contexts, histograms, norm scatter, neighbours (one SAE or two side by side)
  cosae export    write an SAE as a SAELens folder (inner) or cosae's own format with the score spelled out
  cosae import    convert a SAELens folder (standard, topk, batchtopk, jumprelu) to a cosae SAE folder
  cosae inspect   describe a model (its hooks), an activation dataset or an SAE folder
  cosae help [command]

${Object.values(commands)
  .map((c) => c.help)
  .join("\n\n")}`;

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(`${(rest[0] !== undefined && commands[rest[0]]?.help) || usage}\n`);
    return;
  }
  const command = commands[name];
  if (!command) throw new Error(`unknown command "${name}"; try "cosae help"`);
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${command.help}\n`);
    return;
  }
  await command.run(rest);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`cosae: ${describeUncaught(e)}\n`);
  process.exitCode = 1;
});
