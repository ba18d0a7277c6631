/**
 * One process at a time per run folder: `train` and `train --resume` on the
 * same folder would otherwise both append to metrics.jsonl and race their
 * checkpoints. The lock is a file created with O_EXCL holding who took it; a
 * lock whose process is gone (same host, pid no longer alive) is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { systemErrorCode } from "../util/system-error.js";

export const lockFile = "run.lock";

interface LockHolder {
  pid: number;
  hostname: string;
  started: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return systemErrorCode(e) === "EPERM"; // exists, owned by someone else
  }
}

function readHolder(path: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(path, "utf8")) as LockHolder;
    return Number.isInteger(h.pid) && typeof h.hostname === "string" ? h : null;
  } catch {
    return null; // torn or foreign: treated as unknown
  }
}

/**
 * Takes the lock of `runDir` (which must exist) or throws naming its holder.
 * Returns the release function (idempotent, synchronous so exit paths can call it).
 */
export function takeRunLock(runDir: string, log: (line: string) => void): () => void {
  const path = join(runDir, lockFile);
  const me: LockHolder = { pid: process.pid, hostname: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx");
    } catch (e) {
      if (systemErrorCode(e) !== "EEXIST" || attempt > 0) throw e;
      const holder = readHolder(path);
      if (holder && holder.hostname === me.hostname && !alive(holder.pid)) {
        log(
          `note: ${path} was left by process ${holder.pid} (started ${holder.started}), which is gone; taking it over`,
        );
        unlinkSync(path);
        continue;
      }
      const who = holder
        ? `process ${holder.pid} on ${holder.hostname}, started ${holder.started}`
        : "an unknown process (the lock file is unreadable)";
      throw new Error(
        `${runDir} is in use by ${who} (lock ${path}); wait for it to finish, or remove the lock file if that process is gone`,
      );
    }
    try {
      writeSync(fd, `${JSON.stringify(me)}\n`);
    } finally {
      closeSync(fd);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      try {
        if (readHolder(path)?.pid === me.pid) unlinkSync(path);
      } catch {
        // already gone: nothing to release
      }
    };
  }
}
