import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readDocuments } from "../../src/data/text-corpus.js";

/** The shared real-data folder (../shared from the repository root; dist/test/helpers is three levels down). */
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const sharedFolder = join(repoRoot, "..", "shared");
export const stories260kFolder = join(sharedFolder, "models", "stories260K");
export const stories260kBin = join(stories260kFolder, "stories260K.bin");
export const tok512Bin = join(stories260kFolder, "tok512.bin");
export const corpusPath = join(sharedFolder, "corpus", "tinystories-2MiB.txt");

export interface ReferenceCase {
  text: string;
  ids: number[];
  logits_last: number[];
  logits_argmax: number[];
  /** [L + 1][positions]: ‖residual before layer l‖ (l = L: after the last layer, before the final norm). */
  resid_norms: number[][];
  /** The residual entering layer 2 at the last position. */
  resid_last_layer2: number[];
}

export function referenceCases(): ReferenceCase[] {
  return JSON.parse(readFileSync(join(stories260kFolder, "reference.json"), "utf8")).cases;
}

/** The corpus's stories, without the last one (the corpus cuts it short). */
export function corpusStories(): string[] {
  return readDocuments(corpusPath).slice(0, -1);
}

/** max_i |a_i − b_i| / max_i |b_i|: the error relative to the reference's largest magnitude. */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}
