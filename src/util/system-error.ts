/**
 * Node's system errors (ENOENT, EISDIR, ENOSPC …) say what failed but not which
 * of the user's options it came from, and some (a read on a folder) name no file
 * at all. These turn them into one sentence that names the file and the option.
 */

/** The system error code of `err` (ENOENT, EISDIR …), or undefined when it is not a system error. */
export function systemErrorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null || !("code" in err)) return undefined;
  const code = (err as { code: unknown }).code;
  return typeof code === "string" && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** What each common code means for the path it names, in words a user can act on. */
const meanings: Record<string, string> = {
  ENOENT: "does not exist",
  EEXIST: "already exists",
  ENOTDIR: "is not a folder (it, or a folder above it, is a file)",
  EISDIR: "is a folder, not a file",
  ENOTEMPTY: "is a folder that is not empty",
  ENOSPC: "cannot be written: no space left on the device",
  EDQUOT: "cannot be written: disk quota exceeded",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "is on a read-only file system",
  EMFILE: "cannot be opened: too many open files",
  ENAMETOOLONG: "has a name that is too long",
  ELOOP: "has too many symbolic links in its path",
  EFBIG: "cannot be written: the file would be too large",
  EIO: "cannot be read or written: input/output error",
};

/**
 * One sentence for a system error on `path`: "PATH is a folder, not a file".
 * Other errors keep their own message, prefixed with the path.
 */
export function describeSystemError(err: unknown, path: string): string {
  const code = systemErrorCode(err);
  const meaning = code === undefined ? undefined : meanings[code];
  if (meaning !== undefined) return `${path} ${meaning} (${code})`;
  return `${path}: ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * Runs `action`; a system error it throws becomes an Error that names the
 * option or role (`what`, e.g. "--out" or "the tokenizer") and the path.
 * Errors that are not system errors pass through unchanged.
 */
export async function withPathContext<T>(
  what: string,
  path: string,
  action: () => Promise<T> | T,
): Promise<T> {
  try {
    return await action();
  } catch (err) {
    if (systemErrorCode(err) === undefined) throw err;
    throw new Error(`${what}: ${describeSystemError(err, path)}`, { cause: err });
  }
}

/** Synchronous twin of {@link withPathContext}. */
export function withPathContextSync<T>(what: string, path: string, action: () => T): T {
  try {
    return action();
  } catch (err) {
    if (systemErrorCode(err) === undefined) throw err;
    throw new Error(`${what}: ${describeSystemError(err, path)}`, { cause: err });
  }
}

/**
 * The last resort for an error that reached the command line untranslated: a
 * raw system error gets its path (when Node recorded one) and its meaning.
 */
export function describeUncaught(err: unknown): string {
  const code = systemErrorCode(err);
  if (code !== undefined && err instanceof Error) {
    const path = (err as { path?: unknown }).path;
    const syscall = (err as { syscall?: unknown }).syscall;
    const where = typeof syscall === "string" ? ` during ${syscall}` : "";
    if (typeof path === "string") return `${describeSystemError(err, path)}${where}`;
    return `${err.message} (a system error${where} that named no file: please report it)`;
  }
  return err instanceof Error ? err.message : String(err);
}
