/**
 * The trained SAE as the two files of a cosae SAE folder (cfg.json and
 * sae_weights.safetensors, built by the same code `cosae train` writes them
 * with), and the run's metrics as metrics.jsonl, for download from the tab.
 */
import {
  checkFiniteTensors,
  configFile,
  saeFileConfig,
  saeTensors,
  weightsFile,
} from "../../io/sae-folder-contents.js";
import { encodeSafetensors } from "../../io/safetensors-bytes.js";
import type { Sae } from "../../model/sae.js";
import type { StepMetrics } from "../../training/trainer.js";

export interface DownloadFile {
  name: string;
  blob: Blob;
}

export function saeFolderFiles(sae: Sae, metadata: Record<string, unknown>): DownloadFile[] {
  const tensors = saeTensors(sae);
  checkFiniteTensors(tensors, weightsFile);
  const config = `${JSON.stringify(saeFileConfig(sae, metadata), null, 2)}\n`;
  return [
    { name: configFile, blob: new Blob([config], { type: "application/json" }) },
    {
      name: weightsFile,
      blob: new Blob(encodeSafetensors(tensors) as BlobPart[], { type: "application/octet-stream" }),
    },
  ];
}

/** One JSON line per logged step, as cosae train writes metrics.jsonl. */
export function metricsFile(metrics: readonly StepMetrics[]): DownloadFile {
  const text = metrics.map((m) => `${JSON.stringify(m)}\n`).join("");
  return { name: "metrics.jsonl", blob: new Blob([text], { type: "application/x-ndjson" }) };
}
