/**
 * The `skip` option for tests that need a part the set-up step may not have
 * managed to provide (the native addon, NumPy, a browser): the reason when the
 * part is missing, so the run's summary names it (scripts/run-tests.mjs). Under
 * CI=true it never skips: the tests run and fail on the missing part, since CI
 * must not pass with parts left out.
 */
export function skipWhenMissing(part: string, missing: string | null | undefined): string | false {
  if (!missing) return false;
  if (process.env.CI === "true") return false;
  return `${part} missing: ${missing}`;
}

/** Throws the reason a part is missing (for a test that runs without it under CI=true). */
export function requirePart<T>(
  part: string,
  value: T | null | undefined,
  missing: string | null | undefined,
): T {
  if (value === null || value === undefined)
    throw new Error(`${part} missing: ${missing ?? "unknown reason"}`);
  return value;
}
