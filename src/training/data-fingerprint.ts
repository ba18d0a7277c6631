/**
 * A cheap fingerprint of an activation dataset, recorded in run.json and
 * checked on resume, so data overwritten with other values of the same shape
 * is noticed: per file, its size and a hash of a few blocks spread over it
 * (a few tens of KiB read however large the file).
 */
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { relative } from "node:path";
import type { ActivationDataset } from "../data/activation-dataset.js";
import { readFileRange } from "../io/file-range.js";

/** file (relative to the dataset) → "bytes:hash" */
export type DataFingerprint = Record<string, string>;

const blocks = 9;
const blockBytes = 4096;

async function fileFingerprint(path: string): Promise<string> {
  const { size } = await stat(path);
  const hash = createHash("sha256");
  const length = Math.min(blockBytes, size);
  for (let b = 0; b < blocks && length > 0; b++) {
    const at = Math.floor(((size - length) * b) / (blocks - 1));
    hash.update(await readFileRange(path, at, length));
  }
  return `${size}:${hash.digest("hex").slice(0, 16)}`;
}

export async function fingerprintDataset(dataset: ActivationDataset): Promise<DataFingerprint> {
  const out: DataFingerprint = {};
  for (const shard of dataset.shards) {
    const name = relative(dataset.path, shard.path) || shard.path.split("/").pop()!;
    out[name] = await fileFingerprint(shard.path);
  }
  return out;
}

/** Throws naming the first file whose fingerprint differs from the recorded one. */
export function checkFingerprint(
  recorded: DataFingerprint,
  current: DataFingerprint,
  dataset: ActivationDataset,
  runJson: string,
): void {
  const names = new Set([...Object.keys(recorded), ...Object.keys(current)]);
  for (const name of names) {
    if (recorded[name] === current[name]) continue;
    const file = dataset.shards.find((s) => s.path.endsWith(name))?.path ?? `${dataset.path} (${name})`;
    const what =
      recorded[name] === undefined
        ? "is new"
        : current[name] === undefined
          ? "is gone"
          : "changed (its size or sampled contents differ)";
    throw new Error(
      `${file} ${what} since the run started (${runJson} records the data's fingerprint); ` +
        "resuming on other data would not give the run's SAE: restore the data, or train a new run into another --out",
    );
  }
}
