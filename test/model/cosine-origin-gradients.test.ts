import assert from "node:assert/strict";
import { test } from "node:test";
import { referenceKernels as kernels } from "../../src/kernels/reference.js";
import { isCosine, scoreKinds } from "../../src/kernels/score-family.js";
import { preactivations } from "../../src/model/forward.js";
import { initSae } from "../../src/model/init.js";
import { backwardTraining, forwardTraining } from "../../src/model/loss.js";
import { allocateParams } from "../../src/model/sae.js";
import { Rng } from "../../src/util/rng.js";
import { randomInputs, randomSae } from "../helpers/random-sae.js";

// cosineOf "uncentred": the cosine and r look at x̃, b_dec is only added back in decoding.
// (Its finite-difference checks run with every other setup's, in gradients.test.ts.)
const rows = 7;
const cosineScores = scoreKinds.filter(isCosine);

test("uncentred, the scores ignore b_dec and b_dec's gradient is exactly Σ_t ∂L/∂x̂_t", async () => {
  const sae = randomSae({ score: "blend-feature", decode: "equivariant", cosineOf: "uncentred" });
  const x = randomInputs(rows, sae.config.d, 6);
  const before = (await preactivations(sae, x, rows, kernels)).pre.slice();
  const moved = randomSae({ score: "blend-feature", decode: "equivariant", cosineOf: "uncentred" });
  moved.params.bDec.forEach((_, c) => {
    moved.params.bDec[c] = 3 * Math.cos(c);
  });
  const after = (await preactivations(moved, x, rows, kernels)).pre;
  assert.deepEqual(Array.from(after), Array.from(before), "b_dec does not enter the score");
  const fwd = await forwardTraining(sae, x, rows, kernels, { reweight: "none", auxk: null });
  const grads = allocateParams(sae.config, Float64Array);
  backwardTraining(sae, fwd, kernels, grads);
  const { d } = sae.config;
  for (let c = 0; c < d; c++) {
    let sum = 0;
    for (let t = 0; t < rows; t++) sum += fwd.upstream[t * d + c]!;
    assert.ok(Math.abs(grads.bDec[c]! - sum) <= 1e-12 * (1 + Math.abs(sum)), `∂b_dec[${c}]`);
  }
});

test("uncentred cosine without b_enc is invariant to scaling the input, whatever b_dec is", async () => {
  const sae = randomSae({ score: "cosine", eps: 0, cosineOf: "uncentred" });
  sae.params.bEnc.fill(0);
  const x = randomInputs(rows, sae.config.d, 4);
  const a = (await preactivations(sae, x, rows, kernels)).pre.slice();
  const b = (
    await preactivations(
      sae,
      x.map((v) => 0.05 * v),
      rows,
      kernels,
    )
  ).pre;
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-12 * (1 + Math.abs(a[i]!)));
  // the centred cosine is not (b_dec ≠ 0): a small token's x_c points near −b_dec
  sae.config.cosineOf = "centred";
  const c = (await preactivations(sae, x, rows, kernels)).pre.slice();
  const e = (
    await preactivations(
      sae,
      x.map((v) => 0.05 * v),
      rows,
      kernels,
    )
  ).pre;
  let moved = 0;
  for (let i = 0; i < c.length; i++) moved = Math.max(moved, Math.abs(c[i]! - e[i]!));
  assert.ok(moved > 0.1, `centred scores move with the input's scale (by ${moved})`);
});

test("with b_dec = 0 the two origins give the same loss and gradients, bit for bit", async () => {
  for (const score of cosineScores) {
    const make = (cosineOf: "centred" | "uncentred") => {
      const sae = randomSae({ score, decode: "equivariant", cosineOf }, 3);
      sae.params.bDec.fill(0);
      return sae;
    };
    const x = randomInputs(rows, 6, 8);
    const out = [];
    for (const sae of [make("centred"), make("uncentred")]) {
      const fwd = await forwardTraining(sae, x, rows, kernels, { reweight: "none", auxk: null });
      const grads = allocateParams(sae.config, Float64Array);
      backwardTraining(sae, fwd, kernels, grads);
      out.push({ loss: fwd.loss, grads });
    }
    assert.equal(out[1]!.loss, out[0]!.loss, score);
    for (const name of ["encoder", "decoder", "bEnc", "logGain", "alpha"] as const)
      assert.deepEqual(Array.from(out[1]!.grads[name]), Array.from(out[0]!.grads[name]), `${score} ∂${name}`);
  }
});

test("ν is the mean ‖x̃‖ uncentred and the mean ‖x̃ − b_dec‖ centred", () => {
  const d = 5;
  const n = 40;
  const sample = randomInputs(n, d, 12);
  for (let i = 0; i < sample.length; i++) sample[i]! += 2; // an offset, so b_dec ≠ 0 matters
  const config = randomSae({ score: "cosine", d, m: 4, k: 2 }).config;
  const centred = initSae({ ...config, cosineOf: "centred" }, sample, n, new Rng(1, 1), "mean");
  const uncentred = initSae({ ...config, cosineOf: "uncentred" }, sample, n, new Rng(1, 1), "mean");
  const s = centred.constants.scale;
  let plain = 0;
  let around = 0;
  for (let t = 0; t < n; t++) {
    let a = 0;
    let b = 0;
    for (let c = 0; c < d; c++) {
      const v = sample[t * d + c]! / s;
      a += v * v;
      b += (v - centred.params.bDec[c]!) ** 2;
    }
    plain += Math.sqrt(a) / n;
    around += Math.sqrt(b) / n;
  }
  assert.ok(Math.abs(uncentred.constants.nu - plain) < 1e-9 * plain, `${uncentred.constants.nu} vs ${plain}`);
  // b_dec is stored in float32, ν was taken around the float64 centre
  assert.ok(Math.abs(centred.constants.nu - around) < 1e-6 * around, `${centred.constants.nu} vs ${around}`);
  assert.ok(uncentred.constants.nu > centred.constants.nu, "the offset makes ‖x̃‖ the larger");
});
