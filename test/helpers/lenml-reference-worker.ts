/**
 * Worker thread: encodes texts with @lenml/tokenizers (the reference for Qwen
 * and Gemma), so the reference runs on a second core while the test encodes
 * with cosae's tokenizer.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { TokenizerLoader } from "@lenml/tokenizers";

// node --test runs every file under test/ (this one too): as a plain script it does nothing.
if (!isMainThread) {
  const { folder, texts } = workerData as { folder: string; texts: string[] };
  const read = (name: string) => JSON.parse(readFileSync(join(folder, name), "utf8"));
  const tokenizer = TokenizerLoader.fromPreTrained({
    tokenizerJSON: read("tokenizer.json"),
    tokenizerConfig: read("tokenizer_config.json"),
  });
  parentPort!.postMessage(texts.map((t) => tokenizer.encode(t, { add_special_tokens: false })));
}
