#!/usr/bin/env node
import { demoCommand, demoHelp } from "./demo-command.js";
import { trainCommand, trainHelp } from "./train-command.js";

const usage = `cosae — cosine-scored sparse autoencoders

Commands:
  cosae demo    train and compare the four score families on the synthetic default
  cosae train   train one SAE (checkpoints, --resume)
  cosae help [command]

${demoHelp}

${trainHelp}`;

const commands: Record<string, (argv: string[]) => Promise<void>> = {
  demo: demoCommand,
  train: trainCommand,
};

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = rest[0] === "demo" ? demoHelp : rest[0] === "train" ? trainHelp : usage;
    process.stdout.write(`${topic}\n`);
    return;
  }
  const command = commands[name];
  if (!command) throw new Error(`unknown command "${name}"; try "cosae help"`);
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${name === "demo" ? demoHelp : trainHelp}\n`);
    return;
  }
  await command(rest);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`cosae: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
