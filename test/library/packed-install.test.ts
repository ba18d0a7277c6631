/**
 * The README's "Use from TypeScript" example, run as a user of the published
 * package would: `npm pack` the project, unpack the archive into a scratch
 * folder's node_modules with its dependencies linked from this repository's
 * (offline: npm's cache holds tarballs but not the metadata `npm install
 * --offline` needs), type-check the example against the installed typings
 * alone, and run it.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const dir = useTemporaryFolder("cosae-packed-");

/** The code block of the README section "Use from TypeScript": the example the test runs, byte for byte. */
function readmeExample(): string {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((s) => s.startsWith("Use from TypeScript\n"));
  assert.ok(section, 'README.md has no section "## Use from TypeScript"');
  const block = /```ts\n([\s\S]*?)\n```/.exec(section);
  assert.ok(block, 'README.md: the section "Use from TypeScript" has no ```ts code block');
  return `${block[1]}\n`;
}

function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${stdout ?? ""}${stderr ?? ""}`);
  }
}

test("the README's library example type-checks and runs against the packed, installed package", async () => {
  const scratch = dir();
  const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", scratch], root)) as {
    filename: string;
    files: { path: string }[];
  }[];
  const files = packed[0]!.files.map((f) => f.path);
  assert.ok(
    files.includes("dist/src/index.d.ts") && files.includes("dist/src/index.js"),
    "the entry point is packed",
  );
  assert.ok(
    !files.some((f) => f.startsWith("src/") || f.startsWith("dist/test/")),
    "sources and tests stay out",
  );

  const app = join(scratch, "app");
  await mkdir(app);
  await writeFile(
    join(app, "package.json"),
    JSON.stringify({ name: "cosae-example", private: true, type: "module", dependencies: {} }),
  );
  // Installed as npm would lay it out, offline: the archive unpacked into node_modules/cosae, and
  // each of its dependencies linked from this repository's node_modules (which `npm ci` filled).
  const installed = join(app, "node_modules", "cosae");
  await mkdir(installed, { recursive: true });
  run("tar", ["-xzf", join(scratch, packed[0]!.filename), "-C", installed, "--strip-components=1"], app);
  const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  for (const name of Object.keys(manifest.dependencies)) {
    await mkdir(dirname(join(app, "node_modules", name)), { recursive: true });
    await symlink(join(root, "node_modules", name), join(app, "node_modules", name), "dir");
  }

  await writeFile(join(app, "example.ts"), readmeExample());
  await writeFile(
    join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "es2022",
        module: "nodenext",
        moduleResolution: "nodenext",
        strict: true,
        typeRoots: [join(root, "node_modules", "@types")],
        types: ["node"],
      },
      files: ["example.ts"],
    }),
  );
  // Type-checked against the installed typings (node_modules/cosae), not this repository's sources.
  run("node", [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", app], app);

  const output = run("node", ["example.js"], app);
  const lines = output.trim().split("\n");
  assert.equal(lines.length, 3, `three tokens printed:\n${output}`);
  for (const [t, line] of lines.entries()) assert.match(line, new RegExp(`^token ${t}: latent \\d+ = -?\\d`));
  assert.ok(existsSync(join(app, "runs", "my-sae", "cfg.json")), "the SAE folder was written");

  // The package's command runs from the installed copy too.
  const help = run("node", [join(installed, "dist", "src", "cli", "main.js"), "help"], app);
  assert.match(help, /cosae train/);

  // Internal modules are not part of the package's interface.
  const internal = `import("cosae/dist/src/model/sae.js").then(() => process.exit(1), (e) => process.exit(e.code === "ERR_PACKAGE_PATH_NOT_EXPORTED" ? 0 : 2))`;
  run("node", ["--input-type=module", "-e", internal], app);
});
