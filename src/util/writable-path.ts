import { randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { open, unlink } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { withPathContext } from "./system-error.js";

/**
 * Output paths checked before any work, so that a command does not compute for
 * minutes and then fail to write (`eval --json DIR`, `serve --cacheDir FILE`).
 * Each error names the option and the path.
 */

/** `path` will be written as a file: it is not a folder, and its folder exists and takes new files. */
export async function checkWritableFile(option: string, path: string): Promise<void> {
  const full = resolve(path);
  if (existsSync(full) && statSync(full).isDirectory())
    throw new Error(`${option} ${path} is a folder; expected the name of a file to write`);
  const folder = dirname(full);
  if (!existsSync(folder))
    throw new Error(`${option} ${path}: its folder ${folder} does not exist; create it first`);
  await checkFolderTakesFiles(option, folder);
}

/** `path` will be a folder (made if missing): it is not a file, and the nearest existing folder takes new files. */
export async function checkWritableFolder(option: string, path: string): Promise<void> {
  let at = resolve(path);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  await checkFolderTakesFiles(option, at, path);
}

/** `folder` is a folder where a file can be created (a probe file, removed at once). */
async function checkFolderTakesFiles(option: string, folder: string, asked = folder): Promise<void> {
  if (!statSync(folder).isDirectory())
    throw new Error(
      `${option} ${asked}: ${folder} is a file, not a folder${folder === resolve(asked) ? "" : ", so no folder can be made under it"}`,
    );
  const probe = join(folder, `.cosae-probe.${process.pid}.${randomBytes(4).toString("hex")}`);
  await withPathContext(option, folder, async () => {
    const handle = await open(probe, "wx");
    await handle.close();
    await unlink(probe);
  });
}
