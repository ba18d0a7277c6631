import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { f32ToBf16 } from "../../../src/io/half.js";
import { readSafetensors, type TensorEntry, writeSafetensors } from "../../../src/io/safetensors.js";
import { referenceKernels as kernels } from "../../../src/kernels/reference.js";
import type { DecoderModel } from "../../../src/transformer/decoder.js";
import { loadTransformer } from "../../../src/transformer/load-model.js";
import { ModelFormatError } from "../../../src/transformer/model-format-error.js";
import { type FamilyName, TINY_CONFIGS, writeHfFamilyFolder } from "../../helpers/hf-family-folder.js";
import { useTemporaryFolder } from "../../helpers/temporary-folder.js";

const root = useTemporaryFolder("cosae-families-");
const FAMILIES: FamilyName[] = ["gpt2", "gpt_neox", "llama", "qwen2", "gemma2"];
const SEQS = [Int32Array.from([1, 5, 9, 2, 33, 7, 7, 0]), Int32Array.from([3, 4, 39])];

async function load(folder: string): Promise<DecoderModel> {
  return loadTransformer(folder, { tokenizer: false });
}

async function logits(model: DecoderModel): Promise<Float32Array> {
  return (await model.forward(SEQS, { kernels })).logits!;
}

/** Asserts a ModelFormatError whose message starts with `prefix` and matches `pattern`. */
async function refused(folder: string, prefix: string, pattern: RegExp): Promise<void> {
  await assert.rejects(load(folder), (err: Error) => {
    assert.ok(err instanceof ModelFormatError, String(err));
    assert.ok(err.message.startsWith(prefix), `${err.message} should start with ${prefix}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test("a tiny folder of every family loads by model_type, lists the TransformerLens hooks and runs", async () => {
  for (const family of FAMILIES) {
    const folder = join(root(), family);
    await writeHfFamilyFolder(folder, family);
    const model = await load(folder);
    assert.equal(model.format, `hf-${family}`);
    assert.equal(model.config.family, family);
    assert.equal(model.config.layers, 2);
    const hooks = model.hooks.map((h) => h.name);
    for (const h of [
      "hook_embed",
      "blocks.0.hook_resid_pre",
      "blocks.1.hook_resid_post",
      "blocks.0.hook_mlp_out",
    ]) {
      assert.ok(hooks.includes(h), `${family}: ${h} in ${hooks.join(", ")}`);
    }
    const out = await logits(model);
    assert.equal(out.length, 11 * 40);
    assert.ok(out.every(Number.isFinite), family);
    if (family === "gemma2") {
      // final_logit_softcapping 30: every logit lies within (−30, 30).
      assert.ok(out.every((v) => Math.abs(v) < 30));
    }
  }
});

test("GPT-2 tensors with the transformer. prefix (save_pretrained) give the same logits as without", async () => {
  const plain = join(root(), "gpt2");
  const prefixed = join(root(), "gpt2-prefixed");
  const { tensors } = await readSafetensors(join(plain, "model.safetensors"));
  const renamed = Object.fromEntries(Object.entries(tensors).map(([k, v]) => [`transformer.${k}`, v]));
  await writeHfFamilyFolder(prefixed, "gpt2", { tensors: renamed });
  assert.deepEqual(await logits(await load(prefixed)), await logits(await load(plain)));
});

test("a sharded BF16 Gemma 2 folder loads through the index", async () => {
  const folder = join(root(), "gemma2-bf16");
  const { tensors } = await readSafetensors(join(root(), "gemma2", "model.safetensors"));
  await writeHfFamilyFolder(folder, "gemma2");
  const names = Object.keys(tensors);
  const weightMap: Record<string, string> = {};
  for (const [s, file] of [
    "model-00001-of-00002.safetensors",
    "model-00002-of-00002.safetensors",
  ].entries()) {
    const part: Record<string, TensorEntry> = {};
    names.forEach((name, i) => {
      if (i % 2 !== s) return;
      const t = tensors[name]!;
      part[name] = { dtype: "BF16", shape: t.shape, data: f32ToBf16(t.data as Float32Array) };
      weightMap[name] = file;
    });
    await writeSafetensors(join(folder, file), part, { format: "pt" });
  }
  await writeFile(
    join(folder, "model.safetensors.index.json"),
    JSON.stringify({ metadata: {}, weight_map: weightMap }),
  );
  const { rm } = await import("node:fs/promises");
  await rm(join(folder, "model.safetensors"));
  const model = await load(folder);
  assert.equal(model.config.family, "gemma2");
  assert.ok((await logits(model)).every(Number.isFinite));
});

test("a missing tensor names the folder and the tensor; a wrong shape names the file, the tensor and both shapes", async () => {
  for (const [family, name, shape] of [
    ["gpt2", "h.1.attn.c_attn.weight", "[16, 48]"],
    ["gpt_neox", "gpt_neox.layers.0.attention.query_key_value.weight", "[48, 16]"],
    ["llama", "model.layers.1.self_attn.k_proj.weight", "[8, 16]"],
    ["qwen2", "model.layers.0.self_attn.v_proj.bias", "[8]"],
    ["gemma2", "model.layers.1.post_feedforward_layernorm.weight", "[16]"],
  ] as const) {
    const folder = join(root(), `missing-${family}`);
    const tensors = await writeHfFamilyFolder(folder, family);
    const { [name]: dropped, ...rest } = tensors;
    await writeHfFamilyFolder(folder, family, { tensors: rest });
    await refused(
      folder,
      folder,
      new RegExp(
        `tensor "${name.replaceAll(".", "\\.")}" is missing; expected shape \\${shape.replace("]", "\\]")}`,
      ),
    );
    const wrong =
      dropped!.shape.length === 2 ? [dropped!.shape[1]!, dropped!.shape[0]!] : [dropped!.shape[0]! + 1];
    const size = wrong.reduce((a, b) => a * b, 1);
    await writeHfFamilyFolder(folder, family, {
      tensors: { ...rest, [name]: { dtype: "F32", shape: wrong, data: new Float32Array(size) } },
    });
    if (wrong.length === 2 && wrong[0] === wrong[1]) continue;
    await refused(
      folder,
      join(folder, "model.safetensors"),
      new RegExp(
        `tensor "${name.replaceAll(".", "\\.")}" has shape \\[${wrong.join(", ")}\\]; expected \\${shape.replace("]", "\\]")} from .*config\\.json`,
      ),
    );
  }
});

test("an unsupported model_type or field is refused naming config.json and the field", async () => {
  const folder = join(root(), "fields");
  await writeHfFamilyFolder(folder, "llama");
  const configPath = join(folder, "config.json");
  const config = JSON.parse(await readFile(configPath, "utf8"));
  const cases: [object, RegExp][] = [
    [
      { ...config, model_type: "mixtral" },
      /field "model_type" is "mixtral"; cosae runs "gpt2", "gpt_neox", "llama", "qwen2", "gemma2"/,
    ],
    [
      { ...config, rope_scaling: { rope_type: "yarn", factor: 4 } },
      /field "rope_scaling" .* is not supported; expected null or rope_type "llama3"/,
    ],
    [
      { ...config, some_new_switch: true },
      /field "some_new_switch" \(true\) is not known to cosae for model_type "llama"/,
    ],
    [
      { ...config, architectures: ["LlamaForSequenceClassification"] },
      /field "architectures" .* is not supported; expected \["LlamaForCausalLM"\]/,
    ],
  ];
  for (const [edited, pattern] of cases) {
    await writeFile(configPath, JSON.stringify(edited));
    await refused(folder, configPath, pattern);
  }
});

test("a tensor no family reads is refused naming file and tensor; the buffers old checkpoints hold are not", async () => {
  const gpt2 = join(root(), "extra-gpt2");
  const tensors = await writeHfFamilyFolder(gpt2, "gpt2");
  const mask: TensorEntry = { dtype: "F32", shape: [1, 1, 24, 24], data: new Float32Array(576) };
  await writeHfFamilyFolder(gpt2, "gpt2", {
    tensors: {
      ...tensors,
      "h.0.attn.bias": mask,
      "h.1.attn.masked_bias": { dtype: "F32", shape: [], data: Float32Array.of(-1e4) },
    },
  });
  await load(gpt2);
  const neox = join(root(), "extra-neox");
  const neoxTensors = await writeHfFamilyFolder(neox, "gpt_neox");
  const invFreq: TensorEntry = { dtype: "F32", shape: [2], data: Float32Array.of(1, 0.01) };
  await writeHfFamilyFolder(neox, "gpt_neox", {
    tensors: {
      ...neoxTensors,
      "gpt_neox.layers.1.attention.rotary_emb.inv_freq": invFreq,
      "gpt_neox.layers.0.attention.bias": mask,
    },
  });
  await load(neox);
  // Llama with a q_proj bias that config.json (attention_bias false) does not describe.
  const llama = join(root(), "extra-llama");
  const llamaTensors = await writeHfFamilyFolder(llama, "llama");
  await writeHfFamilyFolder(llama, "llama", {
    tensors: {
      ...llamaTensors,
      "model.layers.0.self_attn.q_proj.bias": { dtype: "F32", shape: [16], data: new Float32Array(16) },
    },
  });
  await refused(
    llama,
    join(llama, "model.safetensors"),
    /tensor "model\.layers\.0\.self_attn\.q_proj\.bias" is not part of a llama model as .*config\.json describes it; cosae refuses a tensor it would not use/,
  );
});

test("a stored head that differs from the tied embedding is refused naming the folder", async () => {
  const folder = join(root(), "tied-mismatch");
  const tensors = await writeHfFamilyFolder(folder, "qwen2");
  const embedding = tensors["model.embed_tokens.weight"]!;
  const head = (embedding.data as Float32Array).slice();
  await writeHfFamilyFolder(folder, "qwen2", {
    tensors: { ...tensors, "lm_head.weight": { ...embedding, data: head } },
  });
  await load(folder);
  head[17] = 5;
  await writeHfFamilyFolder(folder, "qwen2", {
    tensors: { ...tensors, "lm_head.weight": { ...embedding, data: head } },
  });
  await refused(
    folder,
    folder,
    /tensor "lm_head\.weight" differs from "model\.embed_tokens\.weight" at index 17/,
  );
  // Untied (tie_word_embeddings false) without lm_head: the head is missing.
  await writeHfFamilyFolder(folder, "qwen2", {
    config: { ...TINY_CONFIGS.qwen2, tie_word_embeddings: false },
    tensors,
  });
  await refused(folder, folder, /tensor "lm_head\.weight" is missing; expected shape \[40, 16\]/);
});
