import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { readSafetensors, writeSafetensors } from "../../src/io/safetensors.js";
import type { Kernels } from "../../src/kernels/kernels.js";
import { createOnnxruntimeKernels } from "../../src/kernels/onnxruntime.js";
import type { DecoderModel } from "../../src/transformer/decoder.js";
import { loadTransformer } from "../../src/transformer/load-model.js";
import { ModelFormatError } from "../../src/transformer/model-format-error.js";
import { writeHfLlamaFolder } from "../helpers/hf-llama-export.js";
import { corpusStories, maxRelativeError, referenceCases, stories260kBin } from "../helpers/stories260k.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const root = useTemporaryFolder("cosae-hf-");
let kernels: Kernels;
let llama2c: DecoderModel;
before(async () => {
  kernels = await createOnnxruntimeKernels(2);
  llama2c = await loadTransformer(stories260kBin);
});
after(async () => {
  await kernels.dispose();
});

async function logitsOf(model: DecoderModel, seqs: Int32Array[]): Promise<Float32Array> {
  return (await model.forward(seqs, { kernels })).logits!;
}

test("the converted HF folder (single F32 file) gives the llama2.c logits and token ids", async () => {
  const folder = join(root(), "single");
  await writeHfLlamaFolder(llama2c, folder);
  const config = JSON.parse(await readFile(join(folder, "config.json"), "utf8"));
  assert.deepEqual(config.architectures, ["LlamaForCausalLM"]);
  assert.equal(config.tie_word_embeddings, true);
  const names = Object.keys((await readSafetensors(join(folder, "model.safetensors"))).tensors);
  assert.ok(names.includes("model.layers.4.self_attn.q_proj.weight"));
  assert.ok(!names.includes("lm_head.weight"));

  const hf = await loadTransformer(folder);
  assert.equal(hf.format, "hf-llama");
  assert.equal(hf.config.rotary?.style, "half-split");
  const seqs: Int32Array[] = [];
  for (const c of referenceCases()) {
    const ids = hf.tokenizer!.encode(c.text);
    assert.deepEqual(Array.from(ids), c.ids, c.text);
    seqs.push(ids);
  }
  const a = await logitsOf(llama2c, seqs);
  const b = await logitsOf(hf, seqs);
  const rel = maxRelativeError(b, a);
  console.log(`# HF folder vs llama2.c: max relative logit error ${rel.toExponential(2)}`);
  assert.ok(rel < 1e-6);
});

test("the HF tokenizer encodes the corpus exactly as the llama2.c tokenizer", async () => {
  const hf = await loadTransformer(join(root(), "single"));
  const stories = corpusStories().slice(0, 300);
  for (const s of stories) {
    assert.deepEqual(Array.from(hf.tokenizer!.encode(s)), Array.from(llama2c.tokenizer!.encode(s)));
  }
  const ids = hf.tokenizer!.encode("Hi é ☃ 😀\n", { bos: false });
  assert.equal(hf.tokenizer!.decode(ids), " Hi é ☃ 😀\n");
  assert.deepEqual(Array.from(ids), Array.from(llama2c.tokenizer!.encode("Hi é ☃ 😀\n", { bos: false })));
  assert.equal(hf.tokenizer!.tokenString(hf.tokenizer!.bosId), "<s>");
});

test("sharded BF16 and F16 folders load through the index and stay close", async () => {
  const seqs = referenceCases().map((c) => Int32Array.from(c.ids));
  const reference = await logitsOf(llama2c, seqs);
  for (const dtype of ["BF16", "F16"] as const) {
    const folder = join(root(), `sharded-${dtype}`);
    await writeHfLlamaFolder(llama2c, folder, { dtype, shards: 3 });
    const index = JSON.parse(await readFile(join(folder, "model.safetensors.index.json"), "utf8"));
    assert.equal(new Set(Object.values(index.weight_map)).size, 3);
    const hf = await loadTransformer(folder);
    const rel = maxRelativeError(await logitsOf(hf, seqs), reference);
    assert.ok(rel < (dtype === "BF16" ? 0.05 : 0.005), `${dtype}: ${rel}`);
  }
});

test("an HF folder with a missing tensor or a wrong shape names the tensor", async () => {
  const folder = join(root(), "broken");
  await writeHfLlamaFolder(llama2c, folder);
  const file = join(folder, "model.safetensors");
  const { tensors } = await readSafetensors(file);
  const { ["model.layers.3.mlp.up_proj.weight"]: _dropped, ...rest } = tensors;
  await writeSafetensors(file, rest);
  await assert.rejects(
    loadTransformer(folder),
    /tensor "model\.layers\.3\.mlp\.up_proj\.weight" is missing; expected shape \[172, 64\]/,
  );
  const k = tensors["model.layers.1.self_attn.k_proj.weight"]!;
  await writeSafetensors(file, {
    ...tensors,
    "model.layers.1.self_attn.k_proj.weight": { ...k, shape: [64, 32] },
  });
  await assert.rejects(
    loadTransformer(folder),
    /tensor "model\.layers\.1\.self_attn\.k_proj\.weight" has shape \[64, 32\]; expected \[32, 64\]/,
  );
});

test("unsupported configs and tokenizers are refused clearly", async () => {
  const folder = join(root(), "unsupported");
  await writeHfLlamaFolder(llama2c, folder);
  const configPath = join(folder, "config.json");
  const config = JSON.parse(await readFile(configPath, "utf8"));
  await writeFile(configPath, JSON.stringify({ ...config, rope_scaling: { rope_type: "yarn", factor: 8 } }));
  await assert.rejects(
    loadTransformer(folder),
    /field "rope_scaling" \{"rope_type":"yarn","factor":8\} is not supported; expected null or rope_type "llama3"/,
  );
  await writeFile(configPath, JSON.stringify({ ...config, num_key_value_heads: 3 }));
  await assert.rejects(
    loadTransformer(folder),
    /field "num_key_value_heads" 3 does not divide "num_attention_heads" 8/,
  );
  await writeFile(configPath, JSON.stringify(config));

  const tokenizerPath = join(folder, "tokenizer.json");
  const tokenizer = JSON.parse(await readFile(tokenizerPath, "utf8"));
  await writeFile(
    tokenizerPath,
    JSON.stringify({ ...tokenizer, model: { ...tokenizer.model, type: "Unigram" } }),
  );
  await assert.rejects(loadTransformer(folder), (err: Error) => {
    assert.ok(err instanceof ModelFormatError);
    assert.match(
      err.message,
      /tokenizer\.json: unsupported tokenizer: model\.type "Unigram"; expected "BPE"/,
    );
    return true;
  });
  await writeFile(
    tokenizerPath,
    JSON.stringify({
      ...tokenizer,
      pre_tokenizer: { type: "Split", pattern: { Regex: "\\d" }, behavior: "MergedWithNext" },
    }),
  );
  await assert.rejects(
    loadTransformer(folder),
    /unsupported tokenizer: pre_tokenizer Split with behavior "MergedWithNext"/,
  );
  await writeFile(tokenizerPath, JSON.stringify({ ...tokenizer, pre_tokenizer: { type: "NoSuchSplitter" } }));
  await assert.rejects(
    loadTransformer(folder),
    /tokenizer\.json: unsupported tokenizer: Unknown PreTokenizer type: NoSuchSplitter/,
  );
  await rm(tokenizerPath);
  await assert.rejects(loadTransformer(folder), /tokenizer\.json: no such file/);
  const model = await loadTransformer(folder, { tokenizer: false });
  assert.equal(model.tokenizer, undefined);
});

test("one NaN or Inf weight in an F32, F16 or BF16 HF folder is refused, naming the file, the tensor and the index", async () => {
  for (const [dtype, shards] of [
    ["F32", 1],
    ["F16", 2],
    ["BF16", 2],
  ] as const) {
    const folder = join(root(), `non-finite-${dtype}`);
    await writeHfLlamaFolder(llama2c, folder, { dtype, shards });
    const name = "model.layers.2.mlp.down_proj.weight";
    const index =
      shards > 1 ? JSON.parse(await readFile(join(folder, "model.safetensors.index.json"), "utf8")) : null;
    const file = join(folder, index ? index.weight_map[name] : "model.safetensors");
    const { tensors } = await readSafetensors(file);
    const t = tensors[name]!;
    const data = t.data.slice() as Float32Array | Uint16Array;
    // NaN in every dtype: F32 NaN, and the all-ones exponent with a mantissa bit for F16 and BF16.
    data[3 * 172 + 5] = dtype === "F32" ? Number.NaN : dtype === "F16" ? 0x7e00 : 0x7fc0;
    await writeSafetensors(file, { ...tensors, [name]: { ...t, data } });
    await assert.rejects(loadTransformer(folder), (err: Error) => {
      assert.ok(err instanceof ModelFormatError, String(err));
      assert.ok(err.message.startsWith(file), err.message);
      assert.match(
        err.message,
        /tensor "model\.layers\.2\.mlp\.down_proj\.weight" holds NaN at index 521 \(row 3, column 5\); expected finite weights/,
      );
      return true;
    });
  }
});

test("an HF index naming a shard outside the folder is refused, and a missing shard is named", async () => {
  const folder = join(root(), "index-escape");
  await writeHfLlamaFolder(llama2c, folder, { shards: 2 });
  const indexPath = join(folder, "model.safetensors.index.json");
  const index = JSON.parse(await readFile(indexPath, "utf8"));
  const [first] = Object.keys(index.weight_map);
  for (const bad of ["../other/model.safetensors", "/etc/passwd", ".hidden.safetensors"]) {
    await writeFile(
      indexPath,
      JSON.stringify({ ...index, weight_map: { ...index.weight_map, [first!]: bad } }),
    );
    await assert.rejects(loadTransformer(folder), (err: Error) => {
      assert.ok(err instanceof ModelFormatError, String(err));
      assert.match(
        err.message,
        /model\.safetensors\.index\.json: weight_map\[".*"\] is ".*"; expected the name of a safetensors file inside/,
      );
      assert.ok(err.message.includes(JSON.stringify(bad)), err.message);
      return true;
    });
  }
  await writeFile(indexPath, JSON.stringify(index));
  const shard = index.weight_map[first!];
  await rm(join(folder, shard));
  await assert.rejects(
    loadTransformer(folder),
    new RegExp(`a shard named in ${indexPath}: ${join(folder, shard)} does not exist \\(ENOENT\\)`),
  );
});

test("config.json fields of the wrong type or missing are named", async () => {
  const folder = join(root(), "config-types");
  await writeHfLlamaFolder(llama2c, folder);
  const configPath = join(folder, "config.json");
  const config = JSON.parse(await readFile(configPath, "utf8"));
  const cases: [object, RegExp][] = [
    [
      { ...config, hidden_size: "64" },
      /field "hidden_size" is "64" \(a string\); expected a positive integer/,
    ],
    [
      { ...config, num_hidden_layers: null },
      /field "num_hidden_layers" is null; expected a positive integer/,
    ],
    [
      { ...config, tie_word_embeddings: "true" },
      /field "tie_word_embeddings" is "true" \(a string\); expected true or false/,
    ],
    [{ ...config, bos_token_id: 999 }, /bos_token_id 999 is not a token of this 512-token vocabulary/],
  ];
  for (const [edited, message] of cases) {
    await writeFile(configPath, JSON.stringify(edited));
    await assert.rejects(loadTransformer(folder), message);
  }
});
