import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

/** Runs the built `cosae` command in a child process, as a user would. */
export function cosae(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  return cosaeWithEnv(process.env, ...args);
}

/** `cosae`, with the child's environment `env` (e.g. COSAE_WEBGPU_ADAPTER). */
export function cosaeWithEnv(
  env: NodeJS.ProcessEnv,
  ...args: string[]
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: "utf8", timeout: 300_000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
