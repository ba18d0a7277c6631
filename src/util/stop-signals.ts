/**
 * SIGINT / SIGTERM as a request to stop cleanly: a long job polls `requested`
 * and ends at a safe point (a training run writes a checkpoint first). A
 * second signal exits at once (a lock left behind is then taken over as stale).
 */
export interface StopSignals {
  /** the signal received, or null */
  requested(): NodeJS.Signals | null;
  dispose(): void;
}

/** The exit status of a process ended by `signal`, by shell convention (128 + number). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === "SIGINT" ? 130 : 143;
}

export function catchStopSignals(): StopSignals {
  let received: NodeJS.Signals | null = null;
  const handler = (signal: NodeJS.Signals) => {
    if (received !== null) process.exit(signalExitCode(signal));
    received = signal;
    process.stderr.write(
      `\n${signal}: stopping at the next step, after a checkpoint (again to stop at once)\n`,
    );
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) process.on(s, handler);
  return {
    requested: () => received,
    dispose: () => {
      for (const s of signals) process.off(s, handler);
    },
  };
}
