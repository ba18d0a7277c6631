import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { loadTransformer } from "../../src/transformer/load-model.js";
import { ModelFormatError } from "../../src/transformer/model-format-error.js";
import { SentencePieceTokenizer } from "../../src/transformer/sentencepiece-tokenizer.js";
import { Rng } from "../../src/util/rng.js";
import { stories260kBin, tok512Bin } from "../helpers/stories260k.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const root = useTemporaryFolder("cosae-badmodel-");

/** A copy of stories260K.bin (with tok512.bin beside it) after `edit`. */
async function editedCheckpoint(name: string, edit: (bytes: Buffer) => Buffer): Promise<string> {
  const folder = join(root(), name);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, "tok512.bin"), await readFile(tok512Bin));
  const path = join(folder, "model.bin");
  await writeFile(path, edit(await readFile(stories260kBin)));
  return path;
}

function withHeader(index: number, value: number): (b: Buffer) => Buffer {
  return (b) => {
    b.writeInt32LE(value, 4 * index);
    return b;
  };
}

test("a truncated checkpoint names the file and the expected and actual sizes", async () => {
  const path = await editedCheckpoint("truncated", (b) => b.subarray(0, b.length - 1000));
  await assert.rejects(loadTransformer(path), (err: Error) => {
    assert.ok(err instanceof ModelFormatError);
    assert.match(err.message, /model\.bin: file is 1055540 bytes \(truncated\); expected 1056540 bytes/);
    return true;
  });
});

test("a wrong classifier sign is explained", async () => {
  const path = await editedCheckpoint("sign", withHeader(5, -512));
  await assert.rejects(
    loadTransformer(path),
    /size fits a shared classifier, which the legacy header marks with a positive vocab_size/,
  );
});

test("wrong header values name the field and its offset", async () => {
  const cases: [number, number, RegExp][] = [
    [0, 0, /header field dim \(bytes 0\.\.4\) is 0; expected a positive integer/],
    [3, -8, /header field n_heads \(bytes 12\.\.16\) is -8/],
    [3, 7, /n_heads 7 does not divide dim 64/],
    [4, 3, /n_kv_heads 3 does not divide n_heads 8/],
    [2, 6, /file is 1056540 bytes \(truncated\); expected 1238300 bytes/],
  ];
  for (const [i, value, message] of cases) {
    const path = await editedCheckpoint(`header-${i}-${value}`, withHeader(i, value));
    await assert.rejects(loadTransformer(path), message);
  }
});

test("random bytes are refused as a llama2.c checkpoint", async () => {
  const rng = new Rng(7, 1);
  const path = await editedCheckpoint("random", () =>
    Buffer.from(Uint8Array.from({ length: 5000 }, () => Math.floor(rng.uniform() * 256))),
  );
  await assert.rejects(loadTransformer(path), (err: Error) => {
    assert.ok(err instanceof ModelFormatError, String(err));
    assert.match(err.message, /model\.bin/);
    return true;
  });
});

test("a folder without config.json, a missing path and a tokenizer of the wrong size are refused", async () => {
  await assert.rejects(
    loadTransformer(root()),
    /folder has no config\.json; expected a Hugging Face model folder/,
  );
  await assert.rejects(loadTransformer(join(root(), "nope.bin")), /no such file or folder/);
  const folder = join(root(), "lonely");
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, "model.bin"), await readFile(stories260kBin));
  await assert.rejects(loadTransformer(join(folder, "model.bin")), /no tokenizer with 512 tokens beside it/);
  const small = join(folder, "tok3.bin");
  const bytes = await readFile(tok512Bin);
  await writeFile(small, bytes.subarray(0, 4 + 3 * 8 + 5 + 5 + 6)); // max_len, <unk>, BOS, EOS
  await assert.rejects(
    loadTransformer(join(folder, "model.bin"), { tokenizer: small }),
    /tok3\.bin: 3 tokens; expected at least 259/,
  );
  await assert.rejects(SentencePieceTokenizer.read(join(folder, "model.bin")), ModelFormatError);
});

test("one NaN or Inf weight in a llama2.c checkpoint is refused, naming the file, the tensor, the layer and the index", async () => {
  // Byte 428 is token_embedding[100] (token 1, component 36): the issue's own reproduction.
  const nan = await editedCheckpoint("nan", (b) => {
    b.writeFloatLE(Number.NaN, 428);
    return b;
  });
  await assert.rejects(loadTransformer(nan), (err: Error) => {
    assert.ok(err instanceof ModelFormatError);
    assert.match(
      err.message,
      /model\.bin: weight NaN in tensor token_embedding \(index 100 of 32768; bytes 428\.\.432\)/,
    );
    assert.match(err.message, /expected finite weights/);
    return true;
  });
  // wq follows token_embedding (512·64) and rms_att (5·64): layer 2, index 7.
  const wqAt = 28 + 4 * (512 * 64 + 5 * 64 + 2 * 64 * 64 + 7);
  const inf = await editedCheckpoint("inf", (b) => {
    b.writeFloatLE(Number.NEGATIVE_INFINITY, wqAt);
    return b;
  });
  await assert.rejects(
    loadTransformer(inf),
    /weight -Infinity in tensor wq \(layer 2 index 7 of 4096 per layer, 5 layers/,
  );
});

test("a text file passed as a llama2.c checkpoint is said not to be one", async () => {
  const text = await editedCheckpoint("text", () =>
    Buffer.from(
      "Once upon a time, there was a little girl named Lily. She liked to play outside.\n".repeat(40),
    ),
  );
  await assert.rejects(loadTransformer(text), (err: Error) => {
    assert.match(err.message, /model\.bin is not a llama2\.c checkpoint: its header values are implausible/);
    assert.match(err.message, /starts like a text file \("Once upon a time/);
    assert.doesNotMatch(err.message, /does not divide/);
    return true;
  });
});

test("a tokenizer path that is a folder names the path", async () => {
  await assert.rejects(
    loadTransformer(stories260kBin, { tokenizer: root() }),
    new RegExp(`the tokenizer: ${root()} is a folder, not a file; pass the tokenizer file itself`),
  );
});
