import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { readSafetensors, writeSafetensors } from "../../src/io/safetensors.js";
import { type ChosenKernels, chooseKernels } from "../../src/kernels/choose-kernels.js";
import type { Kernels } from "../../src/kernels/kernels.js";
import { loadTransformer } from "../../src/transformer/load-model.js";
import { nextTokenLoss } from "../../src/transformer/next-token-loss.js";
import {
  FAMILIES,
  type Family,
  type FixtureOptions,
  makeModelFixture,
  numpyMissing,
  type ReferenceRun,
  referenceForward,
  relativeError,
  tokenSequences,
} from "../helpers/model-fixtures.js";
import { skipWhenMissing } from "../helpers/optional-part.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

/**
 * Every family's tiny Hugging Face folder, loaded by cosae, against the
 * independent float64 NumPy reference written from the transformers modeling
 * files: logits and every hook to 1e-4 relative (max|a−b| / max|b| per array),
 * over sequences longer than Gemma 2's sliding window; then one test per
 * distinctive trait, each showing the trait changes the outputs on its fixture
 * and that cosae follows the change.
 */
const skip = skipWhenMissing("python3 with NumPy", numpyMissing);
const dir = useTemporaryFolder("cosae-families-reference-");
const LENGTHS = [5, 11, 19];
const TOLERANCE = 1e-4;

let kernels: ChosenKernels;
before(async () => {
  kernels = await chooseKernels(1);
});
after(async () => {
  await kernels?.dispose();
});

interface Agreement {
  readonly reference: ReferenceRun;
  /** cosae's arrays per sequence (logits and every hook the reference has), float32 [tokens, width]. */
  readonly ours: readonly Map<string, Float32Array>[];
  readonly hooksOffered: readonly string[];
  readonly folder: string;
  readonly sequences: readonly number[][];
}

let fixtureCount = 0;

const defaults = new Map<Family, Promise<Agreement>>();

/** The family's default fixture's agreement, computed once for the tests that compare against it. */
function agreeDefault(family: Family): Promise<Agreement> {
  if (!defaults.has(family)) defaults.set(family, agree(family));
  return defaults.get(family)!;
}

/** Writes the fixture, runs both forwards on the same sequences, and asserts every array agrees. */
async function agree(
  family: Family,
  options: FixtureOptions = {},
  lengths = LENGTHS,
  using: Kernels = kernels,
): Promise<Agreement> {
  const label = `${family}-${fixtureCount++}`;
  const folder = makeModelFixture(family, join(dir(), label), options);
  const model = await loadTransformer(folder, { tokenizer: false });
  const sequences = tokenSequences(lengths, Math.min(model.config.vocabSize, 400));
  const reference = await referenceForward(folder, sequences, join(dir(), `${label}-reference`));
  const offered = model.hooks.map((h) => h.name);
  const missing = reference.hooks.filter((h) => !offered.includes(h));
  assert.deepEqual(missing, [], `${family}: hooks the reference has that cosae does not offer`);

  const captured = new Map<string, { value: Float32Array; width: number }>();
  const hooks: Record<string, (v: Float32Array, info: { width: number }) => void> = {};
  for (const name of reference.hooks) {
    hooks[name] = (v, info) => {
      captured.set(name, { value: v.slice(), width: info.width });
    };
  }
  const { logits } = await model.forward(
    sequences.map((s) => Int32Array.from(s)),
    { kernels: using, hooks },
  );
  captured.set("logits", { value: logits!, width: model.config.vocabSize });

  const ours: Map<string, Float32Array>[] = [];
  const worst = new Map<string, number>();
  let row = 0;
  for (const [s, seq] of reference.sequences.entries()) {
    const mine = new Map<string, Float32Array>();
    for (const [name, want] of seq.arrays) {
      const got = captured.get(name);
      assert.ok(got, `${family}: cosae's forward never called hook ${name}`);
      const slice = got.value.subarray(row * got.width, (row + seq.tokens) * got.width);
      const error = relativeError(slice, want);
      worst.set(name, Math.max(worst.get(name) ?? 0, error));
      assert.ok(
        error < TOLERANCE,
        `${family} ${JSON.stringify(options)}: ${name} of sequence ${s} (${seq.tokens} tokens) is off by ${error.toExponential(2)} relative (max|a−b|/max|b|)`,
      );
      mine.set(name, slice);
    }
    ours.push(mine);
    row += seq.tokens;
  }
  const [name, error] = [...worst].reduce((a, b) => (b[1] > a[1] ? b : a));
  console.log(
    `# ${family} ${JSON.stringify(options)}: ${worst.size} arrays × ${lengths.length} sequences agree; worst ${name} ${error.toExponential(2)}`,
  );
  return { reference, ours, hooksOffered: offered, folder, sequences };
}

function referenceLogits(run: ReferenceRun, s = LENGTHS.length - 1): Float64Array {
  return run.sequences[s]!.arrays.get("logits")!;
}

/** The trait changes this fixture's logits by far more than the tolerance, so agreement on both tests it. */
function assertChanges(on: ReferenceRun, off: ReferenceRun, trait: string): void {
  const change = relativeError(referenceLogits(off), referenceLogits(on));
  console.log(`# ${trait}: switching it off changes the logits by ${change.toExponential(2)} relative`);
  assert.ok(change > 1e-2, `${trait} changes the logits by only ${change}`);
}

for (const family of FAMILIES) {
  test(`${family}: logits and every hook agree with the float64 reference on sequences of ${LENGTHS.join(", ")} tokens`, {
    skip,
  }, async () => {
    await agreeDefault(family);
  });
}

test("GPT-2's Conv1D weights are read as [in, out]: a transposed square c_proj changes the outputs, and cosae follows", {
  skip,
}, async () => {
  const on = await agreeDefault("gpt2");
  const folder = makeModelFixture("gpt2", join(dir(), "gpt2-transposed"));
  const file = join(folder, "model.safetensors");
  const { tensors, metadata } = await readSafetensors(file);
  for (const name of Object.keys(tensors).filter((n) => n.endsWith("attn.c_proj.weight"))) {
    const t = tensors[name]!;
    const [rows, cols] = t.shape as [number, number];
    const data = t.data as Float32Array;
    const transposed = new Float32Array(data.length);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) transposed[j * rows + i] = data[i * cols + j]!;
    tensors[name] = { dtype: "F32", shape: [cols, rows], data: transposed };
  }
  await writeSafetensors(file, tensors, metadata);
  const model = await loadTransformer(folder, { tokenizer: false });
  const sequences = tokenSequences(LENGTHS, 400);
  const off = await referenceForward(folder, sequences, join(dir(), "gpt2-transposed-reference"));
  assertChanges(on.reference, off, "GPT-2 Conv1D orientation of attn.c_proj");
  const { logits } = await model.forward(
    sequences.map((s) => Int32Array.from(s)),
    { kernels },
  );
  const rows = LENGTHS.slice(0, -1).reduce((a, b) => a + b, 0);
  const vocab = model.config.vocabSize;
  const last = logits!.subarray(rows * vocab);
  assert.ok(relativeError(last, referenceLogits(off)) < TOLERANCE);
});

test("GPT-NeoX's parallel residual: use_parallel_residual false changes the outputs, cosae follows, and only then offers hook_resid_mid", {
  skip,
}, async () => {
  const parallel = await agreeDefault("gpt_neox");
  const sequential = await agree("gpt_neox", { set: { use_parallel_residual: false } });
  assertChanges(parallel.reference, sequential.reference, "use_parallel_residual");
  assert.ok(!parallel.hooksOffered.includes("blocks.0.hook_resid_mid"), "no resid_mid in a parallel block");
  assert.ok(sequential.hooksOffered.includes("blocks.0.hook_resid_mid"));
});

test("GPT-NeoX's partial rotary: rotary_pct 0.25 against 0.5 and 1.0 changes the outputs, and cosae follows each", {
  skip,
}, async () => {
  const quarter = await agreeDefault("gpt_neox");
  for (const pct of [0.5, 1.0]) {
    const other = await agree("gpt_neox", { set: { rotary_pct: pct } });
    assertChanges(quarter.reference, other.reference, `rotary_pct 0.25 → ${pct}`);
  }
});

test("Gemma 2's attention and final soft-capping bite on the fixture, and cosae follows each switched off", {
  skip,
}, async () => {
  const capped = await agreeDefault("gemma2");
  const cap = 6.0; // the fixture's final_logit_softcapping
  for (const s of capped.ours) {
    const logits = s.get("logits")!;
    assert.ok(logits.every((x) => Math.abs(x) < cap));
  }
  const noFinal = await agree("gemma2", { set: { final_logit_softcapping: null } });
  assertChanges(capped.reference, noFinal.reference, "final_logit_softcapping");
  assert.ok(
    referenceLogits(noFinal.reference).some((x) => Math.abs(x) > cap),
    "uncapped logits exceed the cap",
  );
  const noAttn = await agree("gemma2", { set: { attn_logit_softcapping: null } });
  assertChanges(capped.reference, noAttn.reference, "attn_logit_softcapping");
});

test("Gemma 2's query_pre_attn_scalar (24, not head_dim 16) sets the attention scale, and cosae follows", {
  skip,
}, async () => {
  const on = await agreeDefault("gemma2");
  const off = await agree("gemma2", { set: { query_pre_attn_scalar: 16 } });
  assertChanges(on.reference, off.reference, "query_pre_attn_scalar");
});

test("Gemma 2's sliding window (4 tokens on even layers): positions before it are untouched, later ones change, and cosae follows", {
  skip,
}, async () => {
  const windowed = await agreeDefault("gemma2");
  const full = await agree("gemma2", { set: { sliding_window: 64 } });
  assertChanges(windowed.reference, full.reference, "sliding_window");
  const d = 48;
  const s = LENGTHS.length - 1;
  const a = windowed.ours[s]!.get("blocks.0.hook_attn_out")!;
  const b = full.ours[s]!.get("blocks.0.hook_attn_out")!;
  // A token sees itself and the 3 before it: positions 0–3 are the same with any window ≥ 4, position 4 is not.
  assert.ok(relativeError(a.subarray(0, 4 * d), b.subarray(0, 4 * d)) < 1e-6, "positions 0–3 are the same");
  assert.ok(relativeError(a.subarray(4 * d, 5 * d), b.subarray(4 * d, 5 * d)) > 1e-3, "position 4 differs");
});

test("grouped-query attention: Llama with 2 and 1 key/value heads, Qwen 2 with 1, against full multi-head, and cosae follows", {
  skip,
}, async () => {
  const gqa = await agreeDefault("llama");
  const mha = await agree("llama", { set: { num_key_value_heads: 4 } });
  assertChanges(gqa.reference, mha.reference, "num_key_value_heads 2 → 4");
  await agree("llama", { set: { num_key_value_heads: 1 } });
  await agree("qwen2", { set: { num_key_value_heads: 1 } });
});

test("Llama 3's rope_scaling: the fixture's 8 frequencies span all three bands, the scaling changes the outputs, and cosae follows", {
  skip,
}, async () => {
  // head_dim 16, rope_theta 1e4, original_max_position_embeddings 256, low/high_freq_factor 1/4.
  const wavelengths = Array.from({ length: 8 }, (_, i) => 2 * Math.PI * 10000 ** ((2 * i) / 16));
  const high = wavelengths.filter((w) => w < 256 / 4).length;
  const low = wavelengths.filter((w) => w > 256 / 1).length;
  assert.ok(high > 0 && low > 0 && high + low < 8, `bands high ${high}, low ${low} of 8`);
  const scaled = await agreeDefault("llama");
  const plain = await agree("llama", { set: { rope_scaling: null } });
  assertChanges(scaled.reference, plain.reference, "rope_scaling llama3");
});

test("tied and untied heads: Llama with tie_word_embeddings false reads lm_head.weight", {
  skip,
}, async () => {
  const tied = await agreeDefault("llama");
  const untied = await agree("llama", { set: { tie_word_embeddings: false } });
  assertChanges(tied.reference, untied.reference, "tie_word_embeddings");
});

test("F16 and BF16 weights, sharded, load and agree with the reference on the same stored values", {
  skip,
}, async () => {
  await agree("gemma2", { dtype: "BF16", shards: 2 });
  await agree("qwen2", { dtype: "F16", shards: 3 });
  await agree("gpt2", { dtype: "BF16", shards: 2 });
});

test("the published checkpoints' layout: GPT-2 without the transformer. prefix and with attn.bias, Pythia with its buffers", {
  skip,
}, async () => {
  await agree("gpt2", { layout: "hub" });
  await agree("gpt_neox", { layout: "hub" });
});

test("the next-token loss (eval's clean and spliced loss) equals the cross-entropy of the reference logits on every family", {
  skip,
}, async () => {
  for (const family of FAMILIES) {
    const { folder, sequences, reference } = await agreeDefault(family);
    const model = await loadTransformer(folder, { tokenizer: false });
    const got = await nextTokenLoss(
      model,
      sequences.map((s) => Int32Array.from(s)),
      { kernels },
    );
    let want = 0;
    let count = 0;
    for (const [s, ids] of sequences.entries()) {
      const logits = reference.sequences[s]!.arrays.get("logits")!;
      const vocab = logits.length / ids.length;
      for (let t = 0; t + 1 < ids.length; t++) {
        const row = logits.subarray(t * vocab, (t + 1) * vocab);
        const max = row.reduce((a, b) => Math.max(a, b));
        const sum = row.reduce((a, b) => a + Math.exp(b - max), 0);
        want += max + Math.log(sum) - row[ids[t + 1]!]!;
        count++;
      }
    }
    assert.equal(got.tokens, count);
    const error = Math.abs(got.sumLoss / count - want / count) / (want / count);
    console.log(
      `# ${family}: mean next-token loss ${(want / count).toFixed(4)} nats, cosae off by ${error.toExponential(2)}`,
    );
    assert.ok(error < 1e-5, `${family}: loss ${got.sumLoss / count} vs reference ${want / count}`);
  }
});

test("long sequences (up to 600 tokens) on every core: the blocked and threaded paths of attention agree too", {
  skip,
}, async () => {
  const threaded = await chooseKernels(0);
  try {
    await agree("llama", {}, [600, 37], threaded);
    await agree("qwen2", {}, [300, 520], threaded);
    await agree("gemma2", { set: { max_position_embeddings: 1024, sliding_window: 200 } }, [600], threaded);
    await agree("gpt_neox", {}, [256, 129], threaded);
    await agree("gpt2", {}, [256, 100], threaded);
  } finally {
    await threaded.dispose();
  }
});

test("a hook that returns an array replaces the value downstream at every hook point of every family, as the reference does", {
  skip,
}, async () => {
  for (const family of FAMILIES) {
    const folder = makeModelFixture(family, join(dir(), `${family}-edits`));
    const model = await loadTransformer(folder, { tokenizer: false });
    const ids = tokenSequences([11], Math.min(model.config.vocabSize, 400), 7);
    const names = model.hooks.map((h) => h.name);
    const reference = await referenceForward(folder, ids, join(dir(), `${family}-edits-reference`), names);
    let worst = 0;
    for (const name of names) {
      const { logits } = await model.forward([Int32Array.from(ids[0]!)], {
        kernels,
        hooks: { [name]: (v) => v.map((x) => 0.5 * x + 0.3 * Math.abs(x)) },
      });
      const want = reference.sequences[0]!.arrays.get(`logits.edit.${name}`)!;
      const error = relativeError(logits!, want);
      worst = Math.max(worst, error);
      assert.ok(
        error < TOLERANCE,
        `${family}: logits with ${name} replaced are off by ${error.toExponential(2)}`,
      );
      assert.ok(relativeError(want, reference.sequences[0]!.arrays.get("logits")!) > 1e-3, `${name} matters`);
    }
    console.log(
      `# ${family}: each of ${names.length} hooks replaced in turn: worst ${worst.toExponential(2)}`,
    );
  }
});

test("one model run on a short sequence, then on longer ones, agrees at every length (rotary tables that grow)", {
  skip,
}, async () => {
  for (const family of ["llama", "gpt_neox", "gemma2"] as const) {
    const folder = makeModelFixture(family, join(dir(), `${family}-growing`));
    const model = await loadTransformer(folder, { tokenizer: false });
    const lengths = [5, 40, 250, 17];
    const sequences = tokenSequences(lengths, 400, 3);
    const reference = await referenceForward(folder, sequences, join(dir(), `${family}-growing-reference`));
    for (const [s, ids] of sequences.entries()) {
      const { logits } = await model.forward([Int32Array.from(ids)], { kernels });
      const error = relativeError(logits!, reference.sequences[s]!.arrays.get("logits")!);
      assert.ok(error < TOLERANCE, `${family}: ${ids.length} tokens after ${lengths.slice(0, s)}: ${error}`);
    }
  }
});

test("other config values the published models use agree too; those cosae does not implement are refused by name", {
  skip,
}, async () => {
  const agreeing: [Family, Record<string, unknown>][] = [
    ["gpt2", { scale_attn_weights: false }],
    ["gpt2", { reorder_and_upcast_attn: true }],
    ["gpt_neox", { attention_bias: false }],
    ["gpt_neox", { tie_word_embeddings: true }],
    ["gpt_neox", { hidden_act: "gelu_new" }],
    ["gemma2", { attention_bias: true }],
    ["gemma2", { sliding_window: null }],
    ["llama", { attention_bias: true }],
    ["llama", { head_dim: 24 }],
    ["llama", { eos_token_id: [477, 485, 486] }],
  ];
  for (const [family, set] of agreeing) await agree(family, { set }, [9]);
  const refused: [Family, Record<string, unknown>, RegExp][] = [
    ["gpt2", { scale_attn_by_inverse_layer_idx: true }, /scale_attn_by_inverse_layer_idx/],
    ["llama", { rope_scaling: { rope_type: "linear", factor: 2 } }, /rope_scaling/],
    ["llama", { rope_scaling: { type: "dynamic", factor: 2 } }, /rope_scaling/],
    ["llama", { mlp_bias: true }, /mlp_bias/],
    ["qwen2", { use_sliding_window: true }, /use_sliding_window/],
  ];
  for (const [family, set, field] of refused) {
    const folder = makeModelFixture(family, join(dir(), `${family}-refused-${fixtureCount++}`), { set });
    await assert.rejects(loadTransformer(folder), (e: Error) => {
      assert.match(e.message, /config\.json/);
      assert.match(e.message, field);
      assert.match(e.message, /not supported/);
      return true;
    });
  }
});

test("configs as transformers v5 writes them (rope_parameters with llama3 scaling or NeoX's partial_rotary_factor, Gemma's layer_types) agree too", {
  skip,
}, async () => {
  for (const family of ["llama", "gpt_neox", "gemma2"] as const) {
    const v5 = await agree(family, { transformers: 5 });
    const v4 = await agreeDefault(family);
    assert.equal(relativeError(referenceLogits(v5.reference), referenceLogits(v4.reference)), 0);
  }
});

test("the JavaScript attention (COSAE_KERNELS=onnxruntime, no addon) agrees too on Gemma 2's soft-capping and window and Llama's GQA", {
  skip: skip || (process.env.COSAE_FAMILIES_FALLBACK === "1" ? "this is the fallback run itself" : false),
}, () => {
  // A fresh test run of this file (without NODE_TEST_CONTEXT, which would make it report to this one).
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const r = spawnSync(
    process.execPath,
    [
      "--test",
      "--test-reporter=tap",
      "--test-name-pattern=^(gemma2|llama): logits",
      fileURLToPath(import.meta.url),
    ],
    { encoding: "utf8", env: { ...env, COSAE_KERNELS: "onnxruntime", COSAE_FAMILIES_FALLBACK: "1" } },
  );
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /# pass 2\b/);
});
