/**
 * Where `cosae harvest --out` may write: a new folder, an empty one, one that
 * only a killed harvest touched, or (with --resume) an unfinished dataset. A
 * file, or a folder holding anything else, is refused before anything is
 * written, so none of the user's files is replaced or removed.
 */
import { readdir, stat } from "node:fs/promises";
import { describeSystemError, systemErrorCode } from "../util/system-error.js";
import { MANIFEST_FILE } from "./activation-manifest.js";

/** What a harvest killed before its first manifest may have left: the vocabulary and temp files. */
function isHarvestLeftover(name: string): boolean {
  return name === "vocab.json" || (name.startsWith(".") && name.endsWith(".tmp"));
}

/** Throws a sentence naming `--out` and the folder when a harvest must not write there. */
export async function checkHarvestOutput(folder: string, resume: boolean): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(folder)).isDirectory();
  } catch (err) {
    if (systemErrorCode(err) === "ENOENT") return; // made when the harvest starts
    throw new Error(`--out: ${describeSystemError(err, folder)}; pass a folder for the activation dataset`);
  }
  if (!isFolder) {
    throw new Error(
      `--out ${folder} is a file, not a folder; harvest writes an activation dataset folder (manifest.json and ` +
        "shards): pass a new or empty folder",
    );
  }
  const entries = await readdir(folder);
  if (entries.includes(MANIFEST_FILE)) {
    if (resume) return;
    throw new Error(
      `--out ${folder} already holds an activation dataset (${MANIFEST_FILE}); add --resume to continue an ` +
        "unfinished harvest, or pass another folder",
    );
  }
  const foreign = entries.filter((e) => !isHarvestLeftover(e)).sort();
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 3).join(", ") + (foreign.length > 3 ? ", …" : "");
    throw new Error(
      `--out ${folder} is not empty (${shown}) and holds no activation dataset (${MANIFEST_FILE}); pass a new or ` +
        "empty folder, so that none of these files is touched",
    );
  }
}
