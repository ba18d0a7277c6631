import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { cosaeReadme, writeCosaeExport } from "../../src/io/cosae-export.js";
import { loadSae } from "../../src/io/load-sae.js";
import { readSaeFolder, writeSaeFolder } from "../../src/io/sae-folder.js";
import {
  pythonJson,
  saeLensTarget,
  saeLensTensors,
  writeSaeLensFolder,
} from "../../src/io/saelens-export.js";
import { readSaeLensFolder } from "../../src/io/saelens-import.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import type { SparseRows } from "../../src/kernels/arrays.js";
import { referenceKernels } from "../../src/kernels/reference.js";
import type { SaeConfig } from "../../src/model/config.js";
import { reconstruct, selectTraining } from "../../src/model/forward.js";
import { cloneSae, type Sae } from "../../src/model/sae.js";
import { validateTrainConfig } from "../../src/training/train-config.js";
import { randomInputs, randomSae } from "../helpers/random-sae.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const root = useTemporaryFolder("cosae-saelens-");
let counter = 0;
const fresh = () => join(root(), `sae-${counter++}`);

function dense(codes: SparseRows, m: number): Float64Array {
  const out = new Float64Array(codes.rows * m);
  for (let t = 0; t < codes.rows; t++)
    for (let i = codes.rowStart[t]!; i < codes.rowStart[t + 1]!; i++)
      out[t * m + codes.index[i]!] = codes.value[i]!;
  return out;
}

async function run(sae: Sae, x: ArrayLike<number>, rows: number) {
  const r = await reconstruct(sae, Float32Array.from(x), rows, referenceKernels);
  return { z: dense(r.codes, sae.config.m), xhat: Float64Array.from(r.reconstruction) };
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, rel = 1e-5): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) {
    assert.ok(
      Math.abs(got[i]! - want[i]!) <= rel * Math.max(1, scale),
      `${what}[${i}]: got ${got[i]}, want ${want[i]}`,
    );
  }
}

/** A random float32 SAE with s ≠ 1 and non-zero biases. */
function sample(overrides: Partial<SaeConfig>, tau = 0.35): Sae {
  const sae = cloneSae(randomSae({ d: 6, m: 10, k: 3, ...overrides }, 5), Float32Array);
  sae.constants = { scale: 1.7, nu: 2.5, threshold: tau };
  return sae;
}

// ---------------------------------------------------------------------------
// Round trips

for (const activation of ["batchtopk", "topk"] as const) {
  test(`an inner ${activation} SAE exports to SAELens with s folded in, and imports back to the same codes`, async () => {
    const sae = sample({ score: "inner", activation });
    const folder = fresh();
    const architecture = await writeSaeLensFolder(folder, sae, {
      model_name: "gpt2",
      hook_name: "blocks.1.hook_resid_pre",
    });
    assert.equal(architecture, activation === "topk" ? "topk" : "jumprelu");

    // The file: the folding formulas, tensor by tensor.
    const { tensors } = await readSafetensors(join(folder, "sae_weights.safetensors"));
    const { d, m } = sae.config;
    const s = sae.constants.scale;
    const names = ["W_dec", "W_enc", "b_dec", "b_enc", ...(activation === "topk" ? [] : ["threshold"])];
    assert.deepEqual(Object.keys(tensors).sort(), names.sort());
    assert.deepEqual(tensors.W_enc!.shape, [d, m]);
    assert.deepEqual(tensors.W_dec!.shape, [m, d]);
    for (let j = 0; j < m; j++) {
      for (let c = 0; c < d; c++) {
        assert.equal(
          tensors.W_enc!.data[c * m + j],
          Math.fround(sae.params.encoder[j * d + c]! / s),
          "W_enc' = W_enc/s",
        );
        assert.equal(
          tensors.W_dec!.data[j * d + c],
          Math.fround(s * sae.params.decoder[j * d + c]!),
          "W_dec' = s W_dec",
        );
      }
      assert.equal(tensors.b_enc!.data[j], sae.params.bEnc[j], "b_enc' = b_enc");
      if (activation === "batchtopk")
        assert.equal(tensors.threshold!.data[j], Math.fround(0.35), "threshold = τ");
    }
    for (let c = 0; c < d; c++)
      assert.equal(tensors.b_dec!.data[c], Math.fround(s * sae.params.bDec[c]!), "b_dec' = s b_dec");

    const cfg = JSON.parse(await readFile(join(folder, "cfg.json"), "utf8"));
    assert.equal(cfg.architecture, architecture);
    assert.equal(cfg.d_in, d);
    assert.equal(cfg.d_sae, m);
    assert.equal(cfg.dtype, "float32");
    assert.equal(cfg.device, "cpu");
    assert.equal(cfg.apply_b_dec_to_input, true);
    assert.equal(cfg.normalize_activations, "none");
    assert.equal(cfg.reshape_activations, "none");
    assert.equal(cfg.metadata.model_name, "gpt2");
    assert.equal(cfg.metadata.hook_name, "blocks.1.hook_resid_pre");
    assert.equal(cfg.metadata.sae_lens_version, "6.0.0", "≥ 6, or SAELens reads the file as the old layout");
    if (activation === "topk") {
      assert.equal(cfg.k, 3);
      assert.equal(cfg.rescale_acts_by_decoder_norm, false);
    } else assert.equal(cfg.k, undefined);

    // Back in: the same codes and raw reconstructions.
    const back = await readSaeLensFolder(folder);
    assert.equal(back.architecture, architecture);
    assert.equal(back.layout, "v6");
    assert.equal(back.sae.config.score, "inner");
    assert.equal(back.sae.config.activation, activation === "topk" ? "topk" : "jumprelu");
    assert.equal(back.sae.constants.scale, 1);
    const x = randomInputs(200, d, 9);
    const want = await run(sae, x, 200);
    const got = await run(back.sae, x, 200);
    assertClose(got.z, want.z, "codes");
    assertClose(got.xhat, want.xhat, "reconstruction s·x̂");
    let active = 0;
    for (const v of want.z) active += v > 0 ? 1 : 0;
    assert.ok(active > 100 && active < 200 * m - 100, `a real test: ${active} active codes`);
  });
}

test("an inner SAE with equivariant decoding exports to SAELens exactly (α = 1 makes r^(1−α) = 1)", async () => {
  const sae = sample({ score: "inner", activation: "batchtopk", decode: "equivariant" });
  const folder = fresh();
  await writeSaeLensFolder(folder, sae);
  const x = randomInputs(100, 6, 3);
  const want = await run(sae, x, 100);
  const got = await run((await readSaeLensFolder(folder)).sae, x, 100);
  assertClose(got.xhat, want.xhat, "reconstruction");
});

test("a jumprelu SAE round-trips through cosae's folder and through SAELens with its per-latent thresholds", async () => {
  const sae = sample({ score: "inner", activation: "jumprelu", k: 0 });
  sae.constants.thresholds = Float32Array.from({ length: 10 }, (_, j) => 0.1 * j - 0.2);
  const folder = fresh();
  await writeSaeFolder(folder, sae);
  const cfg = JSON.parse(await readFile(join(folder, "cfg.json"), "utf8"));
  assert.equal(cfg.k, 0);
  assert.match(cfg.score_formula, /threshold_j/);
  const { sae: back } = await readSaeFolder(folder);
  assert.deepEqual(back.constants.thresholds, sae.constants.thresholds);
  const viaSaeLens = fresh();
  await writeSaeLensFolder(viaSaeLens, back);
  const again = await readSaeLensFolder(viaSaeLens);
  assert.deepEqual(again.sae.constants.thresholds, sae.constants.thresholds);
  const x = randomInputs(100, 6, 4);
  const want = await run(sae, x, 100);
  assertClose((await run(back, x, 100)).z, want.z, "cosae folder codes", 0);
  assertClose((await run(again.sae, x, 100)).z, want.z, "SAELens codes");
});

for (const score of ["cosine", "blend-feature"] as const) {
  test(`a ${score} SAE cannot be SAELens: it exports in cosae's format, with a README, and reads back identical`, async () => {
    const sae = sample({ score, activation: "batchtopk", decode: "equivariant", alphaInit: 0.3 });
    const target = saeLensTarget(sae);
    assert.ok("reason" in target && /cosine score/.test(target.reason), JSON.stringify(target));
    assert.throws(
      () => saeLensTensors(sae),
      /cannot write this SAE as SAELens: its score is "cosine|blend-feature"/,
    );
    const folder = fresh();
    await writeCosaeExport(folder, sae, { data: "synthetic" });
    const loaded = await loadSae(folder);
    assert.equal(loaded.architecture, "cosae");
    assert.deepEqual(loaded.sae.config, sae.config);
    assert.deepEqual(loaded.sae.constants, sae.constants);
    assert.deepEqual(loaded.sae.params.encoder, sae.params.encoder);
    assert.deepEqual(loaded.sae.params.decoder, sae.params.decoder);
    assert.deepEqual(loaded.sae.params.alpha, sae.params.alpha);
    const x = randomInputs(100, 6, 5);
    assertClose((await run(loaded.sae, x, 100)).xhat, (await run(sae, x, 100)).xhat, "reconstruction", 1e-6);
    const readme = await readFile(join(folder, "README.md"), "utf8");
    assert.equal(readme, cosaeReadme(sae));
    assert.match(readme, /def encode\(cfg, w, x\)/);
    assert.match(readme, /def decode\(cfg, w, z, r, a\)/);
    const formula = loaded.fileConfig.score_formula as string;
    for (const part of [
      "x_c = x/scale_s - b_dec",
      "gain_j",
      "threshold_tau",
      "decode: x_hat",
      "r^(1-a_j)",
      "scale_s * x_hat",
    ])
      assert.ok(formula.includes(part), `score_formula mentions ${part}: ${formula}`);
  });
}

test("cfg.json is written as Python's json.dump writes it", () => {
  assert.equal(
    pythonJson({ d_in: 3, a: [1, null, true], m: { naïve: "é" }, f: 0.5 }),
    '{"d_in": 3, "a": [1, null, true], "m": {"na\\u00efve": "\\u00e9"}, "f": 0.5}',
  );
});

// ---------------------------------------------------------------------------
// Hand-written SAELens folders: safetensors bytes laid out by hand, values checked against arithmetic done by hand.

type Raw = { dtype: "F32" | "F16" | "BF16" | "F64"; shape: number[]; values: number[] | Uint16Array };

/** 8-byte little-endian header length, the JSON header, then each tensor's little-endian bytes. */
function safetensorsBytes(tensors: Record<string, Raw>): Buffer {
  const header: Record<string, unknown> = {};
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const size = { F64: 8, F32: 4, F16: 2, BF16: 2 }[t.dtype];
    const bytes = Buffer.alloc(t.values.length * size);
    t.values.forEach((v, i) => {
      if (t.dtype === "F64") bytes.writeDoubleLE(v, i * 8);
      else if (t.dtype === "F32") bytes.writeFloatLE(v, i * 4);
      else bytes.writeUInt16LE(v, i * 2); // F16 / BF16: raw bit patterns
    });
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += " ";
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, Buffer.from(json, "utf8"), ...chunks]);
}

/** bf16 is the top half of the float32 pattern; these values are exact in bf16. */
function bf16(values: number[]): Uint16Array {
  const f = Float32Array.from(values);
  return Uint16Array.from(new Uint32Array(f.buffer), (bits) => bits >>> 16);
}

// d_in 3, d_sae 4. Columns of W_enc are the latents' encoder vectors.
const W_ENC = [1, 0, 0.5, -1, 0, 1, 0.5, 0, 0, 0.5, 0, 1]; // [3, 4]
const W_DEC = [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]; // [4, 3]: e0, e1, e2, (1, 1, 1)
const B_ENC = [0.5, -1, 0.25, -0.5];
const B_DEC = [1, 0, 1];
const X = [1, 2, 3];
// x − b_dec = (0, 2, 2); (x − b_dec)·W_enc = (0, 3, 1, 2); + b_enc: pre = (0.5, 2, 1.25, 1.5).

const v6Metadata =
  '{"sae_lens_version": "6.12.1", "sae_lens_training_version": "6.12.1", "model_name": "gpt2", ' +
  '"hook_name": "blocks.0.hook_resid_pre", "hook_head_index": null, "context_size": 128, "prepend_bos": true, ' +
  '"seqpos_slice": [null], "model_from_pretrained_kwargs": {}, "dataset_path": "monology/pile-uncopyrighted", ' +
  '"model_class_name": "HookedTransformer", "exclude_special_tokens": false, "sequence_separator_token": "bos", ' +
  '"disable_concat_sequences": false}';
const v6Base =
  '"d_in": 3, "d_sae": 4, "dtype": "float32", "device": "cpu", "apply_b_dec_to_input": true, ' +
  `"normalize_activations": "none", "reshape_activations": "none", "metadata": ${v6Metadata}`;

interface HandCase {
  name: string;
  cfg: string;
  tensors: Record<string, Raw>;
  architecture: string;
  layout: "v6" | "v5";
  z: number[];
  xhat: number[];
}

const weights = (wDec = W_DEC): Record<string, Raw> => ({
  W_enc: { dtype: "BF16", shape: [3, 4], values: bf16(W_ENC) },
  W_dec: { dtype: "F32", shape: [4, 3], values: wDec },
  b_enc: { dtype: "F32", shape: [4], values: B_ENC },
  b_dec: { dtype: "F32", shape: [3], values: B_DEC },
});

const handCases: HandCase[] = [
  {
    // z = relu(pre) = (0.5, 2, 1.25, 1.5); x̂ = (0.5 + 1.5, 2 + 1.5, 1.25 + 1.5) + b_dec = (3, 3.5, 3.75)
    name: "v6 standard (ReLU)",
    cfg: `{${v6Base}, "architecture": "standard"}`,
    tensors: weights(),
    architecture: "standard",
    layout: "v6",
    z: [0.5, 2, 1.25, 1.5],
    xhat: [3, 3.5, 3.75],
  },
  {
    // the 2 largest of pre: latents 1 (2) and 3 (1.5); x̂ = (1.5, 2 + 1.5, 1.5) + b_dec = (2.5, 3.5, 2.5)
    name: "v6 topk",
    cfg: `{${v6Base}, "k": 2, "rescale_acts_by_decoder_norm": false, "architecture": "topk"}`,
    tensors: weights(),
    architecture: "topk",
    layout: "v6",
    z: [0, 2, 0, 1.5],
    xhat: [2.5, 3.5, 2.5],
  },
  {
    // pre > θ = (0.25, 2.5, 1, 1.5): 0.5 yes, 2 no, 1.25 yes, 1.5 no (strict); x̂ = (0.5, 0, 1.25) + b_dec = (1.5, 0, 2.25)
    name: "v6 jumprelu",
    cfg: `{${v6Base}, "architecture": "jumprelu"}`,
    tensors: { ...weights(), threshold: { dtype: "F32", shape: [4], values: [0.25, 2.5, 1, 1.5] } },
    architecture: "jumprelu",
    layout: "v6",
    z: [0.5, 0, 1.25, 0],
    xhat: [1.5, 0, 2.25],
  },
  {
    // A training checkpoint, rescale_acts_by_decoder_norm true. ‖W_dec_j‖ = (2, 1, 0.5, 5):
    // pre·‖W_dec‖ = (1, 2, 0.625, 7.5); > topk_threshold 1.4: latents 1 (2) and 3 (7.5).
    // x̂ = 2/1·(0, 1, 0) + 7.5/5·(0, 3, 4) + b_dec = (0, 6.5, 6) + (1, 0, 1) = (1, 6.5, 7)
    name: "v6 batchtopk checkpoint",
    cfg:
      `{${v6Base}, "decoder_init_norm": 0.1, "k": 2, "use_sparse_activations": false, "aux_loss_coefficient": 1.0, ` +
      '"rescale_acts_by_decoder_norm": true, "topk_threshold_lr": 0.01, "architecture": "batchtopk"}',
    tensors: {
      ...weights([2, 0, 0, 0, 1, 0, 0, 0, 0.5, 0, 3, 4]),
      topk_threshold: { dtype: "F64", shape: [], values: [1.4] },
    },
    architecture: "batchtopk",
    layout: "v6",
    z: [0, 2, 0, 7.5],
    xhat: [1, 6.5, 7],
  },
  {
    // v5: "standard" + activation_fn_str "topk" (k 2), apply_b_dec_to_input false, finetuning scaling factor (F16).
    // pre = x·W_enc + b_enc = (1, 3.5, 1.5, 2) + b_enc = (1.5, 2.5, 1.75, 1.5); top 2: latents 1 and 2.
    // x̂ = (z · scale) W_dec + b_dec = (2.5·2)(0, 1, 0) + (1.75·0.5)(0, 0, 1) + b_dec = (1, 5, 1.875)
    name: "v5 standard with a topk activation",
    cfg:
      '{"architecture": "standard", "d_in": 3, "d_sae": 4, "dtype": "float32", "device": "cpu", ' +
      '"model_name": "gpt2-small", "hook_name": "blocks.8.hook_resid_pre", "hook_layer": 8, "hook_head_index": null, ' +
      '"activation_fn_str": "topk", "activation_fn_kwargs": {"k": 2}, "apply_b_dec_to_input": false, ' +
      '"finetuning_scaling_factor": true, "sae_lens_training_version": "5.5.0", "prepend_bos": true, ' +
      '"dataset_path": "Skylion007/openwebtext", "dataset_trust_remote_code": true, "context_size": 128, ' +
      '"normalize_activations": "none", "neuronpedia_id": null, "model_from_pretrained_kwargs": {}}',
    // f16 by hand: 1 = 0x3c00, 2 = 0x4000, 0.5 = 0x3800
    tensors: {
      ...weights(),
      scaling_factor: { dtype: "F16", shape: [4], values: Uint16Array.of(0x3c00, 0x4000, 0x3800, 0x3c00) },
    },
    architecture: "topk",
    layout: "v5",
    z: [0, 2.5, 1.75, 0],
    xhat: [1, 5, 1.875],
  },
];

async function handFolder(cfg: string, tensors: Record<string, Raw>): Promise<string> {
  const folder = fresh();
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, "cfg.json"), cfg);
  await writeFile(join(folder, "sae_weights.safetensors"), safetensorsBytes(tensors));
  return folder;
}

for (const c of handCases) {
  test(`a hand-written SAELens folder: ${c.name}`, async () => {
    const folder = await handFolder(c.cfg, c.tensors);
    const loaded = await loadSae(folder);
    assert.equal(loaded.architecture, `saelens:${c.architecture}`);
    const imported = await readSaeLensFolder(folder);
    assert.equal(imported.layout, c.layout);
    assert.equal(imported.metadata.model_name, c.layout === "v6" ? "gpt2" : "gpt2-small");
    const { z, xhat } = await run(loaded.sae, X, 1);
    assertClose(z, c.z, "codes", 1e-6);
    assertClose(xhat, c.xhat, "reconstruction", 1e-6);
    // And out again: SAELens form, same numbers.
    const out = fresh();
    await writeSaeLensFolder(out, loaded.sae, loaded.metadata);
    const again = await run((await readSaeLensFolder(out)).sae, X, 1);
    assertClose(again.z, c.z, "re-exported codes", 1e-6);
    assertClose(again.xhat, c.xhat, "re-exported reconstruction", 1e-6);
  });
}

// ---------------------------------------------------------------------------
// Refusals

test("what cannot be imported exactly is refused, naming the field or tensor", async () => {
  const base = `{${v6Base}, "architecture": "standard"}`;
  const cases: Array<[string, string, Record<string, Raw>, RegExp]> = [
    [
      "unknown architecture",
      `{${v6Base}, "architecture": "gated"}`,
      weights(),
      /"architecture" is "gated": cosae imports "standard", "topk", "batchtopk", "jumprelu"/,
    ],
    [
      "normalize_activations",
      base.replace('"normalize_activations": "none"', '"normalize_activations": "layer_norm"'),
      weights(),
      /"normalize_activations" is "layer_norm": only "none" can be imported exactly/,
    ],
    [
      "v5 normalize_activations true",
      '{"d_in": 3, "d_sae": 4, "normalize_activations": true, "hook_name": "blocks.0.hook_resid_pre"}',
      weights(),
      /"normalize_activations" is true: only "none"/,
    ],
    [
      "topk without k",
      `{${v6Base}, "architecture": "topk"}`,
      weights(),
      /"k" must be an integer in 1\.\.d_sae = 4 for a topk SAE/,
    ],
    [
      "v5 activation function",
      '{"d_in": 3, "d_sae": 4, "activation_fn_str": "tanh-relu", "hook_name": "blocks.0.hook_resid_pre"}',
      weights(),
      /"activation_fn_str" is "tanh-relu": only "relu" and "topk" can be imported/,
    ],
    [
      "bad d_in",
      base.replace('"d_in": 3', '"d_in": 0'),
      weights(),
      /"d_in" must be a positive integer \(got 0\)/,
    ],
  ];
  for (const [label, cfg, tensors, pattern] of cases) {
    const folder = await handFolder(cfg, tensors);
    await assert.rejects(readSaeLensFolder(folder), pattern, label);
    await assert.rejects(loadSae(folder), /cfg\.json/, `${label}: the message names the file`);
  }

  const { b_enc: _, ...noBias } = weights();
  const tensorCases: Array<[string, Record<string, Raw>, RegExp]> = [
    ["missing tensor", noBias, /missing tensor "b_enc" \(expected shape \[4\]\)/],
    [
      "wrong shape",
      { ...weights(), W_enc: { dtype: "F32", shape: [4, 3], values: W_ENC } },
      /tensor "W_enc" has shape \[4,3\], expected \[3,4\]/,
    ],
    [
      "NaN weight",
      {
        ...weights(),
        W_dec: { dtype: "F32", shape: [4, 3], values: [1, 0, 0, 0, Number.NaN, 0, 0, 0, 1, 1, 1, 1] },
      },
      /tensor "W_dec" holds NaN at index 4/,
    ],
    [
      // f16 bits 0x7e00: a NaN that only shows once widened.
      "f16 NaN",
      {
        ...weights(),
        b_enc: { dtype: "F16", shape: [4], values: Uint16Array.of(0, 0x7e00, 0, 0) },
      },
      /tensor "b_enc" holds NaN at index 1/,
    ],
    [
      "cfg d_sae against the tensors",
      { ...weights(), b_enc: { dtype: "F32", shape: [5], values: [0, 0, 0, 0, 0] } },
      /tensor "b_enc" has shape \[5\], expected \[4\] from cfg\.json/,
    ],
    [
      "infinite bias",
      { ...weights(), b_dec: { dtype: "F32", shape: [3], values: [1, Number.POSITIVE_INFINITY, 0] } },
      /tensor "b_dec" holds Infinity at index 1/,
    ],
    [
      "a tensor of another architecture",
      { ...weights(), b_gate: { dtype: "F32", shape: [4], values: [0, 0, 0, 0] } },
      /unexpected tensor "b_gate" for a SAELens standard SAE/,
    ],
    [
      "scaling factor without the flag",
      { ...weights(), scaling_factor: { dtype: "F32", shape: [4], values: [1, 2, 1, 1] } },
      /tensor "scaling_factor" is not all ones but cfg\.json has "finetuning_scaling_factor": false/,
    ],
  ];
  for (const [label, tensors, pattern] of tensorCases) {
    const folder = await handFolder(base, tensors);
    await assert.rejects(readSaeLensFolder(folder), pattern, label);
    await assert.rejects(readSaeLensFolder(folder), /sae_weights\.safetensors/, `${label}: names the file`);
  }
  // jumprelu needs its thresholds.
  await assert.rejects(
    readSaeLensFolder(await handFolder(`{${v6Base}, "architecture": "jumprelu"}`, weights())),
    /missing tensor "threshold" \(expected shape \[4\]\)/,
  );
  // An all-ones scaling factor is dropped, as SAELens drops it.
  const ones = await handFolder(base, {
    ...weights(),
    scaling_factor: { dtype: "F32", shape: [4], values: [1, 1, 1, 1] },
  });
  assertClose(
    (await run((await readSaeLensFolder(ones)).sae, X, 1)).xhat,
    [3, 3.5, 3.75],
    "reconstruction",
    1e-6,
  );
});

test("jumprelu is inference only: training refuses it at config validation and in the sparsifier", () => {
  assert.throws(
    () => validateTrainConfig({ activation: "jumprelu" }, "run.json"),
    /run\.json: option "activation" "jumprelu" is inference only .* train with "batchtopk" or "topk"/,
  );
  const sae = sample({ score: "inner", activation: "jumprelu", k: 0 });
  assert.throws(
    () => selectTraining(sae, new Float32Array(10), 1, referenceKernels),
    /jumprelu SAEs are inference only/,
  );
});
