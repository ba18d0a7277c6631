import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";

/**
 * A temporary folder for the tests of one file: made before they run, removed
 * after. Returns its path; call it inside a test (the folder exists only then).
 */
export function useTemporaryFolder(prefix: string): () => string {
  let folder = "";
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => {
    await rm(folder, { recursive: true, force: true });
  });
  return () => folder;
}
