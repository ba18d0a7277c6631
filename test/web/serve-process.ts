import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

/** A running `cosae serve` child process. */
export interface ServeProcess {
  child: ChildProcess;
  /** the URL from its "serving …" line */
  url: string;
  /** everything it wrote to stderr so far (progress, warnings) */
  stderr: () => string;
  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`); resolves to the exit code (null if killed) */
  stop: (graceMs?: number) => Promise<number | null>;
}

/** Starts `cosae serve …args` and waits for its "serving URL" line; fails with its stderr if it exits first. */
export function spawnServe(args: string[], timeoutMs = 120_000): Promise<ServeProcess> {
  const child = spawn(process.execPath, [main, "serve", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr.on("data", (c: Buffer) => {
    err += c.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const stop = async (graceMs = 5000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop(0);
      reject(new Error(`cosae serve printed no URL within ${timeoutMs} ms; stderr:\n${err}`));
    }, timeoutMs);
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString("utf8");
      const match = /^serving (\S+)$/m.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, stderr: () => err, stop });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`cosae serve exited (code ${code}) before serving; stderr:\n${err}`));
    });
  });
}
