import assert from "node:assert/strict";
import { readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import {
  configFile,
  readSaeFolder,
  type SaeFileConfig,
  saeTensors,
  weightsFile,
  writeSaeFolder,
} from "../../src/io/sae-folder.js";
import { readSafetensors, type TensorEntry, writeSafetensors } from "../../src/io/safetensors.js";
import { alphaCount, type ScoreKind, scoreKinds } from "../../src/kernels/score-family.js";
import type { Decoding } from "../../src/model/config.js";
import type { Sae } from "../../src/model/sae.js";
import { randomSae } from "../helpers/random-sae.js";
import { useTemporaryFolder } from "../helpers/temporary-folder.js";

const root = useTemporaryFolder("cosae-sae-folder-");
let counter = 0;

function freshFolder(): string {
  return join(root(), `sae-${counter++}`);
}

/** τ that float32 cannot hold, so "exact in cfg.json" is a real check. */
const TAU = 0.123456789012345;

function sampleSae(score: ScoreKind, decode: Decoding, seed = 1): Sae {
  const sae = randomSae(
    { score, decode, d: 6, m: 10, k: 3, activation: "topk", alphaInit: 0.3, eps: 1e-5 },
    seed,
  );
  sae.constants = { scale: 1.2345678901234, nu: 2.5432109876543, threshold: TAU };
  return sae;
}

function assertFloat32Equal(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    assert.equal(got[i], Math.fround(want[i]!), `${what}[${i}]: got ${got[i]}, want fround(${want[i]})`);
  }
}

const decodes: Decoding[] = ["plain", "equivariant"];

for (const score of scoreKinds) {
  for (const decode of decodes) {
    test(`write then read: ${score} score, ${decode} decode`, async () => {
      const folder = freshFolder();
      const sae = sampleSae(score, decode);
      await writeSaeFolder(folder, sae, { note: "test", run: 3 });
      const { sae: back, fileConfig } = await readSaeFolder(folder);

      assert.deepEqual(back.config, sae.config);
      assert.deepEqual(
        back.constants,
        sae.constants,
        "scale, ν and τ come back exactly (float64 in cfg.json)",
      );
      assertFloat32Equal(back.params.encoder, sae.params.encoder, "encoder");
      assertFloat32Equal(back.params.decoder, sae.params.decoder, "decoder");
      assertFloat32Equal(back.params.bEnc, sae.params.bEnc, "bEnc");
      assertFloat32Equal(back.params.bDec, sae.params.bDec, "bDec");
      assertFloat32Equal(back.params.alpha, sae.params.alpha, "alpha");
      assert.equal(back.params.alpha.length, alphaCount(sae.config));
      // γ is stored as the gain exp(γ) in float32; log of that is γ up to float32 rounding.
      assert.equal(back.params.logGain.length, score === "inner" ? 0 : sae.config.m);
      for (let j = 0; j < back.params.logGain.length; j++) {
        const want = sae.params.logGain[j]!;
        assert.ok(
          Math.abs(back.params.logGain[j]! - want) <= 4e-7 * (1 + Math.abs(want)),
          `logGain[${j}]: ${back.params.logGain[j]} vs ${want}`,
        );
      }

      // The file itself.
      const { tensors } = await readSafetensors(join(folder, weightsFile));
      const { d, m } = sae.config;
      const expectedNames = ["W_dec", "W_enc", "b_dec", "b_enc", "norm_nu", "scale_s", "threshold"];
      if (score !== "inner") expectedNames.push("gain");
      if (alphaCount(sae.config) > 0) expectedNames.push("alpha");
      assert.deepEqual(Object.keys(tensors).sort(), expectedNames.sort());
      const wEnc = tensors.W_enc!;
      assert.equal(wEnc.dtype, "F32");
      assert.deepEqual(wEnc.shape, [d, m], "W_enc is [d, m] (SAELens)");
      // By hand: W_enc[c, j] = w_j[c] = encoder[j * d + c].
      const j = 7;
      const c = 2;
      assert.equal(wEnc.data[c * m + j], Math.fround(sae.params.encoder[j * d + c]!));
      assert.equal(wEnc.data[0 * m + 1], Math.fround(sae.params.encoder[1 * d + 0]!));
      assert.deepEqual(tensors.W_dec!.shape, [m, d]);
      assert.deepEqual(tensors.b_enc!.shape, [m]);
      assert.deepEqual(tensors.b_dec!.shape, [d]);
      const threshold = tensors.threshold!;
      assert.deepEqual(threshold.shape, [m]);
      assert.deepEqual(
        Array.from(threshold.data as Float32Array),
        new Array<number>(m).fill(Math.fround(TAU)),
      );
      if (score !== "inner") {
        const gain = tensors.gain!;
        assert.deepEqual(gain.shape, [m]);
        assertFloat32Equal(gain.data as Float32Array, sae.params.logGain.map(Math.exp), "gain = exp(γ)");
      }
      if (alphaCount(sae.config) > 0) assert.deepEqual(tensors.alpha!.shape, [alphaCount(sae.config)]);
      assert.deepEqual(Array.from(tensors.scale_s!.data as Float64Array), [sae.constants.scale]);
      assert.deepEqual(Array.from(tensors.norm_nu!.data as Float64Array), [sae.constants.nu]);

      // cfg.json, straight from disk.
      const cfg = JSON.parse(await readFile(join(folder, configFile), "utf8")) as SaeFileConfig;
      assert.equal(cfg.threshold_tau, TAU, "τ exact in cfg.json");
      assert.equal(cfg.architecture, "cosae");
      assert.equal(cfg.d_in, d);
      assert.equal(cfg.d_sae, m);
      assert.equal(cfg.score, score);
      assert.equal(cfg.decode, decode);
      assert.equal(cfg.activation, "topk");
      assert.equal(cfg.dtype, "float32");
      assert.deepEqual(cfg.metadata, { note: "test", run: 3 });
      assert.equal(decode === "equivariant", cfg.score_formula.includes("decode:"));
      assert.deepEqual(fileConfig, cfg);
    });
  }
}

test("saeTensors transposes the encoder and leaves the SAE untouched", () => {
  const sae = sampleSae("blend-feature", "plain", 4);
  const before = Float64Array.from(sae.params.encoder);
  const t = saeTensors(sae);
  const { d, m } = sae.config;
  for (let j = 0; j < m; j++) {
    for (let c = 0; c < d; c++) {
      assert.equal(
        t.W_enc!.data[c * m + j],
        Math.fround(sae.params.encoder[j * d + c]!),
        `W_enc[${c}, ${j}]`,
      );
    }
  }
  assert.deepEqual(sae.params.encoder, before);
  assert.deepEqual(t.alpha!.shape, [m]);
  assert.deepEqual(saeTensors(sampleSae("blend", "plain")).alpha!.shape, [1]);
  assert.equal(saeTensors(sampleSae("inner", "plain")).gain, undefined);
});

// ---------------------------------------------------------------------------
// Bad folders

/** A written folder to spoil. */
async function goodFolder(score: ScoreKind = "cosine"): Promise<{ folder: string; sae: Sae }> {
  const folder = freshFolder();
  const sae = sampleSae(score, "plain");
  await writeSaeFolder(folder, sae);
  return { folder, sae };
}

async function rewriteWeights(folder: string, edit: (t: Record<string, TensorEntry>) => void): Promise<void> {
  const { tensors } = await readSafetensors(join(folder, weightsFile));
  const copy: Record<string, TensorEntry> = { ...tensors };
  edit(copy);
  await writeSafetensors(join(folder, weightsFile), copy);
}

async function editConfig(folder: string, edit: (c: Record<string, unknown>) => void): Promise<void> {
  const path = join(folder, configFile);
  const cfg = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  edit(cfg);
  await writeFile(path, JSON.stringify(cfg));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

test("a folder without cfg.json, or no folder at all, is refused in words, naming the folder and the file", async () => {
  const { folder } = await goodFolder();
  await rm(join(folder, configFile));
  await assert.rejects(
    readSaeFolder(folder),
    new RegExp(`${escapeRe(folder)} is not an SAE folder: it has no cfg\\.json`),
  );
  await assert.rejects(
    readSaeFolder(join(root(), "no-such-folder")),
    /no-such-folder does not exist; expected an SAE folder \(cfg\.json and sae_weights\.safetensors\)/,
  );
});

test("cfg.json that is not JSON is refused", async () => {
  const { folder } = await goodFolder();
  await writeFile(join(folder, configFile), "{ not json");
  await assert.rejects(
    readSaeFolder(folder),
    new RegExp(`${escapeRe(configFile)}: cannot read the SAE config: not valid JSON`),
  );
});

test("cfg.json with a wrong field names the field", async () => {
  const cases: Array<[string, (c: Record<string, unknown>) => void, RegExp]> = [
    ["d_sae string", (c) => (c.d_sae = "ten"), /"d_sae" must be a positive integer/],
    ["d_in zero", (c) => (c.d_in = 0), /"d_in" must be a positive integer/],
    ["k fractional", (c) => (c.k = 2.5), /"k" must be a positive integer/],
    ["score unknown", (c) => (c.score = "dot"), /"score" must be one of inner, cosine, blend, blend-feature/],
    ["activation unknown", (c) => (c.activation = "relu"), /"activation" must be one of/],
    ["decode missing", (c) => delete c.decode, /"decode" must be one of/],
    ["scale_s zero", (c) => (c.scale_s = 0), /"scale_s" must be a finite number/],
    ["norm_nu negative", (c) => (c.norm_nu = -1), /"norm_nu" must be a finite number/],
    ["threshold_tau null", (c) => (c.threshold_tau = null), /"threshold_tau" must be a finite number/],
    ["eps negative", (c) => (c.eps = -1e-6), /"eps" must be a finite number ≥ 0/],
    ["cosine_of unknown", (c) => (c.cosine_of = "both"), /"cosine_of" must be one of centred, uncentred/],
    [
      "architecture",
      (c) => (c.architecture = "jumprelu"),
      /"architecture" must be "cosae" \(got "jumprelu"\)/,
    ],
  ];
  for (const [label, edit, pattern] of cases) {
    const { folder } = await goodFolder();
    await editConfig(folder, edit);
    await assert.rejects(readSaeFolder(folder), pattern, label);
    await assert.rejects(
      readSaeFolder(folder),
      new RegExp(escapeRe(join(folder, configFile))),
      `${label}: path`,
    );
  }
  // Several problems at once are all reported.
  const { folder } = await goodFolder();
  await editConfig(folder, (c) => {
    c.d_in = -3;
    c.score = 7;
  });
  await assert.rejects(readSaeFolder(folder), /"d_in" must be a positive integer; "score" must be one of/);
  // cfg.json that is not an object.
  await writeFile(join(folder, configFile), "[1, 2]");
  await assert.rejects(readSaeFolder(folder), /expected a JSON object|must be "cosae"/);
});

test("a weights tensor with the wrong shape names the tensor and the expected shape", async () => {
  const { folder, sae } = await goodFolder();
  const { d, m } = sae.config;
  // Same number of elements, transposed shape.
  await rewriteWeights(folder, (t) => {
    t.W_dec = { ...t.W_dec!, shape: [d, m] };
  });
  await assert.rejects(readSaeFolder(folder), (e: Error) => {
    assert.match(e.message, /tensor "W_dec" has shape \[6, ?10\], expected \[10, ?6\]/);
    assert.match(e.message, new RegExp(escapeRe(join(folder, weightsFile))));
    return true;
  });

  const other = await goodFolder();
  await rewriteWeights(other.folder, (t) => {
    t.b_enc = { dtype: "F32", shape: [m + 1], data: new Float32Array(m + 1) };
  });
  await assert.rejects(readSaeFolder(other.folder), /tensor "b_enc" has shape \[11\], expected \[10\]/);

  const encoder = await goodFolder();
  await rewriteWeights(encoder.folder, (t) => {
    t.W_enc = { ...t.W_enc!, shape: [m, d] }; // rows layout instead of SAELens's [d, m]
  });
  await assert.rejects(
    readSaeFolder(encoder.folder),
    /tensor "W_enc" has shape \[10, ?6\], expected \[6, ?10\]/,
  );
});

test("a missing tensor is named with its expected shape", async () => {
  const { folder } = await goodFolder("cosine");
  await rewriteWeights(folder, (t) => {
    delete t.gain;
  });
  await assert.rejects(readSaeFolder(folder), /missing tensor "gain" \(expected shape \[10\]\)/);

  const blend = await goodFolder("blend-feature");
  await rewriteWeights(blend.folder, (t) => {
    delete t.alpha;
  });
  await assert.rejects(readSaeFolder(blend.folder), /missing tensor "alpha"/);
});

test("a NaN or infinity in a weight names the tensor and the index", async () => {
  const { folder } = await goodFolder();
  await rewriteWeights(folder, (t) => {
    const data = Float32Array.from(t.b_enc!.data as Float32Array);
    data[4] = Number.NaN;
    t.b_enc = { ...t.b_enc!, data };
  });
  await assert.rejects(readSaeFolder(folder), /tensor "b_enc" holds NaN at index 4/);

  const other = await goodFolder();
  await rewriteWeights(other.folder, (t) => {
    const data = Float32Array.from(t.W_dec!.data as Float32Array);
    data[37] = Number.POSITIVE_INFINITY;
    t.W_dec = { ...t.W_dec!, data };
  });
  await assert.rejects(readSaeFolder(other.folder), /tensor "W_dec" holds Infinity at index 37/);
});

test("a truncated weights file is refused, naming the file", async () => {
  const { folder } = await goodFolder();
  const path = join(folder, weightsFile);
  const { size } = await stat(path);
  for (const keep of [size - 4, size - 100, 20, 3]) {
    await truncate(path, keep);
    await assert.rejects(readSaeFolder(folder), new RegExp(escapeRe(path)), `truncated to ${keep} bytes`);
  }
  await rm(path);
  await assert.rejects(readSaeFolder(folder), new RegExp(escapeRe(weightsFile)));
});

// ---------------------------------------------------------------------------
// Values stored twice: cfg.json and the tensors must agree

test("cfg.json's scale_s or norm_nu contradicting the tensors is refused, naming both values and files", async () => {
  const { folder, sae } = await goodFolder();
  await editConfig(folder, (c) => (c.scale_s = 0.5));
  await assert.rejects(readSaeFolder(folder), (e: Error) => {
    assert.match(
      e.message,
      new RegExp(
        `${escapeRe(join(folder, weightsFile))}: tensor "scale_s" holds ${escapeRe(String(sae.constants.scale))} ` +
          `but ${escapeRe(join(folder, configFile))} has "scale_s": 0\\.5; the two files disagree`,
      ),
    );
    return true;
  });
  const nu = await goodFolder();
  await rewriteWeights(nu.folder, (t) => {
    t.norm_nu = { dtype: "F64", shape: [], data: Float64Array.of(9) };
  });
  await assert.rejects(
    readSaeFolder(nu.folder),
    new RegExp(
      `tensor "norm_nu" holds 9 but .*cfg\\.json has "norm_nu": ${escapeRe(String(nu.sae.constants.nu))}`,
    ),
  );
  // A float32 copy of the value is the same value.
  const f32 = await goodFolder();
  await rewriteWeights(f32.folder, (t) => {
    t.scale_s = { dtype: "F32", shape: [], data: Float32Array.of(f32.sae.constants.scale) };
  });
  assert.equal((await readSaeFolder(f32.folder)).sae.constants.scale, f32.sae.constants.scale);
});

test("threshold_tau contradicting the threshold tensor is refused (topk / batchtopk share one τ)", async () => {
  const { folder } = await goodFolder();
  await editConfig(folder, (c) => (c.threshold_tau = 0.25));
  await assert.rejects(
    readSaeFolder(folder),
    new RegExp(
      `tensor "threshold" holds ${escapeRe(String(Math.fround(TAU)))} at latent 0 but .*cfg\\.json has "threshold_tau": 0\\.25`,
    ),
  );
});

test("tensors the score kind has no use for, a non-positive gain and k > d_sae are refused", async () => {
  const cosine = await goodFolder("cosine");
  await rewriteWeights(cosine.folder, (t) => {
    t.alpha = { dtype: "F32", shape: [1], data: Float32Array.of(0.5) };
  });
  await assert.rejects(
    readSaeFolder(cosine.folder),
    /tensor "alpha" has no place in an SAE whose score is "cosine" \(.*cfg\.json says "score": "cosine", whose tensors are W_enc, W_dec, b_enc, b_dec, threshold, scale_s, norm_nu, gain\)/,
  );
  // A blend SAE's cfg.json pasted over an inner SAE's weights: gain and alpha are missing;
  // the other way round they are left over.
  const inner = await goodFolder("inner");
  await editConfig(inner.folder, (c) => (c.score = "cosine"));
  await assert.rejects(readSaeFolder(inner.folder), /missing tensor "gain"/);
  const blend = await goodFolder("blend");
  await editConfig(blend.folder, (c) => (c.score = "inner"));
  await assert.rejects(
    readSaeFolder(blend.folder),
    /tensors "alpha", "gain" have no place in an SAE whose score is "inner"/,
  );

  const gain = await goodFolder("cosine");
  await rewriteWeights(gain.folder, (t) => {
    const data = Float32Array.from(t.gain!.data as Float32Array);
    data[3] = 0;
    t.gain = { ...t.gain!, data };
  });
  await assert.rejects(
    readSaeFolder(gain.folder),
    /tensor "gain" holds 0 at latent 3; a gain is exp\(γ\) and must be positive/,
  );

  const k = await goodFolder();
  await editConfig(k.folder, (c) => (c.k = 11));
  await assert.rejects(readSaeFolder(k.folder), /"k" \(11\) must not exceed "d_sae" \(10\)/);
});

test("cosine_of is saved and read back; a file without it is centred; inner refuses uncentred", async () => {
  const folder = freshFolder();
  const sae = sampleSae("blend-feature", "equivariant");
  sae.config.cosineOf = "uncentred";
  await writeSaeFolder(folder, sae);
  const cfg = JSON.parse(await readFile(join(folder, configFile), "utf8")) as SaeFileConfig;
  assert.equal(cfg.cosine_of, "uncentred");
  assert.match(
    cfg.score_formula,
    /^x_s = x\/scale_s \(uncentred.*r = \|x_s\|\/norm_nu; p_j = gain_j \* \(w_j \. x_s\)/,
  );
  assert.equal((await readSaeFolder(folder)).sae.config.cosineOf, "uncentred");
  // Files written before the option: centred, as they were trained.
  await editConfig(folder, (c) => delete c.cosine_of);
  assert.equal((await readSaeFolder(folder)).sae.config.cosineOf, "centred");
  const inner = await goodFolder("inner");
  await editConfig(inner.folder, (c) => (c.cosine_of = "uncentred"));
  await assert.rejects(
    readSaeFolder(inner.folder),
    /"cosine_of" "uncentred" applies to the cosine family only/,
  );
});
