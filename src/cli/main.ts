#!/usr/bin/env node
import { demoCommand, demoHelp } from "./demo-command.js";
import { harvestCommand, harvestHelp } from "./harvest-command.js";
import { inspectCommand, inspectHelp } from "./inspect-command.js";
import { trainCommand, trainHelp } from "./train-command.js";

const commands: Record<string, { run: (argv: string[]) => Promise<void>; help: string }> = {
  demo: { run: demoCommand, help: demoHelp },
  train: { run: trainCommand, help: trainHelp },
  harvest: { run: harvestCommand, help: harvestHelp },
  inspect: { run: inspectCommand, help: inspectHelp },
};

const usage = `cosae — cosine-scored sparse autoencoders

Commands:
  cosae demo      train and compare the four score families on the synthetic default
  cosae train     train one SAE (synthetic data or --data activations; checkpoints, --resume)
  cosae harvest   run a transformer over a text corpus and write a hook's activations as shards
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
  process.stderr.write(`cosae: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
