import assert from "node:assert/strict";
import { test } from "node:test";
import { referenceKernels as kernels } from "../../src/kernels/reference.js";
import { isCosine, type ScoreKind, scoreKinds } from "../../src/kernels/score-family.js";
import { type CosineOrigin, cosineOrigins } from "../../src/model/config.js";
import { latentTerms, preactivations } from "../../src/model/forward.js";
import {
  auxkTerm,
  backwardThroughCodes,
  backwardTraining,
  forwardTraining,
  type LossOptions,
} from "../../src/model/loss.js";
import { allocateParams, paramNames } from "../../src/model/sae.js";
import { checkAgainstFiniteDifferences } from "../helpers/finite-differences.js";
import { randomInputs, randomSae } from "../helpers/random-sae.js";

const rows = 7;

/** Each score with each vector its cosine may look at (DESIGN §2; inner has only x_c). */
const scoreSetups = scoreKinds.flatMap((score) =>
  (isCosine(score) ? cosineOrigins : (["centred"] as const)).map((cosineOf: CosineOrigin) => ({
    score,
    cosineOf,
    name: cosineOf === "centred" ? score : `uncentred ${score}`,
  })),
);

for (const { score, cosineOf, name } of scoreSetups) {
  for (const decode of ["plain", "equivariant"] as const) {
    for (const activation of ["batchtopk", "topk"] as const) {
      for (const reweight of ["none", "equalize"] as const) {
        const label = `${name}/${decode}/${activation}/${reweight}`;
        test(`main-loss gradients match finite differences: ${label}`, async () => {
          const sae = randomSae({ score, decode, activation, cosineOf });
          const x = randomInputs(rows, sae.config.d);
          const options: LossOptions = { reweight, auxk: null };
          const fwd = await forwardTraining(sae, x, rows, kernels, options);
          assert.equal(fwd.codes.rowStart[rows], rows * sae.config.k, "selection keeps exactly B·k");
          const grads = allocateParams(sae.config, Float64Array);
          backwardTraining(sae, fwd, kernels, grads);
          await checkAgainstFiniteDifferences(
            sae,
            async () => (await forwardTraining(sae, x, rows, kernels, options)).loss,
            grads,
            label,
          );
        });
      }
    }
  }
}

for (const { score, cosineOf, name } of scoreSetups) {
  for (const decode of ["plain", "equivariant"] as const) {
    test(`AuxK gradients hold the residual constant: ${name}/${decode}`, async () => {
      const sae = randomSae({ score, decode, cosineOf });
      const x = randomInputs(rows, sae.config.d, 5);
      const dead = new Uint8Array(sae.config.m);
      for (const j of [1, 4, 5, 8]) dead[j] = 1;
      const auxk = { dead, kAux: 2, coef: 1 / 32 };
      const base = await forwardTraining(sae, x, rows, kernels, { reweight: "none", auxk });
      assert.ok(base.aux, "some dead latent scores positive on this batch");
      const auxCodes = base.aux.codes;
      for (let t = 0; t < rows; t++) {
        for (let i = auxCodes.rowStart[t]!; i < auxCodes.rowStart[t + 1]!; i++) {
          assert.equal(dead[auxCodes.index[i]!], 1, "AuxK uses only dead latents");
        }
        assert.ok(auxCodes.rowStart[t + 1]! - auxCodes.rowStart[t]! <= 2, "at most kAux per token");
      }
      const residual = base.residual.slice();
      const grads = allocateParams(sae.config, Float64Array);
      backwardThroughCodes(
        sae,
        base.terms,
        base.pa,
        base.aux.codes,
        base.aux.upstream,
        kernels,
        grads,
        false,
      );
      // AuxK decodes without b_dec and the uncentred score never reads it: b_dec gets nothing.
      if (cosineOf === "uncentred")
        assert.ok(
          grads.bDec.every((v) => v === 0),
          "uncentred AuxK: b_dec gets 0",
        );
      // The loss seen by finite differences: AuxK alone with e frozen at its base value.
      const auxOnly = async () => {
        const terms = latentTerms(sae);
        const pa = await preactivations(sae, x, rows, kernels, terms);
        return auxkTerm(sae, terms, pa, residual, auxk, kernels)!.loss;
      };
      await checkAgainstFiniteDifferences(sae, auxOnly, grads, `auxk ${name}/${decode}`);
    });
  }
}

test("AuxK decodes without b_dec: with no dead latent firing, ê = 0 and L_aux = Σ‖e‖²/Σ‖e − ē‖²", async () => {
  const sae = randomSae({ score: "cosine" });
  const x = randomInputs(rows, sae.config.d, 9);
  const { m } = sae.config;
  const dead = new Uint8Array(m);
  dead[2] = 1;
  // Make latent 2's score positive on exactly one token, then check ê by hand.
  const terms = latentTerms(sae);
  const pa = await preactivations(sae, x, rows, kernels, terms);
  const residual = new Float64Array(rows * sae.config.d).map((_, i) => Math.sin(i));
  for (let t = 0; t < rows; t++) pa.pre[t * m + 2] = t === 3 ? 0.7 : -1;
  const aux = auxkTerm(sae, terms, pa, residual, { dead, kAux: 4, coef: 1 }, kernels)!;
  const d = sae.config.d;
  const mean = new Float64Array(d);
  for (let t = 0; t < rows; t++) for (let c = 0; c < d; c++) mean[c]! += residual[t * d + c]! / rows;
  let num = 0;
  let den = 0;
  for (let t = 0; t < rows; t++) {
    for (let c = 0; c < d; c++) {
      const ehat = t === 3 ? 0.7 * sae.params.decoder[2 * d + c]! : 0; // no b_dec
      num += (residual[t * d + c]! - ehat) ** 2;
      den += (residual[t * d + c]! - mean[c]!) ** 2;
    }
  }
  assert.ok(Math.abs(aux.loss - num / den) < 1e-12, `${aux.loss} vs ${num / den}`);
  assert.equal(aux.codes.rowStart[rows], 1, "kAux counts among the dead latents only");
});

test("blend with α = 1 equals inner with encoder rows g_j w_j / (ν ‖w_j‖)", async () => {
  for (const score of ["blend", "blend-feature"] as ScoreKind[]) {
    const blend = randomSae({ score, eps: 0 });
    blend.params.alpha.fill(1);
    const inner = randomSae({ score: "inner" });
    const { d, m } = blend.config;
    inner.params.bEnc.set(blend.params.bEnc);
    inner.params.bDec.set(blend.params.bDec);
    inner.params.decoder.set(blend.params.decoder);
    inner.constants = { ...blend.constants };
    for (let j = 0; j < m; j++) {
      let norm = 0;
      for (let c = 0; c < d; c++) norm += blend.params.encoder[j * d + c]! ** 2;
      const factor = Math.exp(blend.params.logGain[j]!) / (blend.constants.nu * Math.sqrt(norm));
      for (let c = 0; c < d; c++) inner.params.encoder[j * d + c] = factor * blend.params.encoder[j * d + c]!;
    }
    const x = randomInputs(rows, d, 3);
    for (const decode of ["plain", "equivariant"] as const) {
      blend.config.decode = decode;
      const a = await preactivations(blend, x, rows, kernels);
      const b = await preactivations(inner, x, rows, kernels);
      for (let i = 0; i < rows * m; i++)
        assert.ok(Math.abs(a.pre[i]! - b.pre[i]!) < 1e-12 * (1 + Math.abs(b.pre[i]!)));
      const fa = await forwardTraining(blend, x, rows, kernels, { reweight: "none", auxk: null });
      const fb = await forwardTraining(inner, x, rows, kernels, { reweight: "none", auxk: null });
      assert.ok(
        Math.abs(fa.loss - fb.loss) < 1e-10 * fb.loss,
        `${score}/${decode}: ${fa.loss} vs ${fb.loss}`,
      );
    }
  }
});

test("blend with α = 0 equals cosine: scores, loss and every shared gradient", async () => {
  for (const score of ["blend", "blend-feature"] as ScoreKind[]) {
    for (const decode of ["plain", "equivariant"] as const) {
      // The same seed draws the same encoder, decoder, biases and gains (α is drawn last).
      const blend = randomSae({ score, decode });
      blend.params.alpha.fill(0);
      const cosine = randomSae({ score: "cosine", decode });
      const x = randomInputs(rows, blend.config.d, 5);
      const a = await preactivations(blend, x, rows, kernels);
      const b = await preactivations(cosine, x, rows, kernels);
      assert.deepEqual(a.pre, b.pre, `${score}/${decode}: scores`);
      const options: LossOptions = { reweight: "none", auxk: null };
      const fa = await forwardTraining(blend, x, rows, kernels, options);
      const fb = await forwardTraining(cosine, x, rows, kernels, options);
      assert.equal(fa.loss, fb.loss, `${score}/${decode}: loss`);
      const ga = allocateParams(blend.config, Float64Array);
      const gb = allocateParams(cosine.config, Float64Array);
      backwardTraining(blend, fa, kernels, ga);
      backwardTraining(cosine, fb, kernels, gb);
      for (const name of paramNames) {
        if (name === "alpha") continue;
        for (let i = 0; i < ga[name].length; i++) {
          const [u, v] = [ga[name][i]!, gb[name][i]!];
          assert.ok(
            Math.abs(u - v) <= 1e-12 * (1 + Math.abs(v)),
            `${score}/${decode}: ∂${name}[${i}] ${u} vs ${v}`,
          );
        }
      }
    }
  }
});

test("cosine without biases is invariant to scaling the input", async () => {
  const sae = randomSae({ score: "cosine", eps: 0 });
  sae.params.bEnc.fill(0);
  sae.params.bDec.fill(0);
  const x = randomInputs(rows, sae.config.d, 4);
  const a = await preactivations(sae, x, rows, kernels);
  const pa = a.pre.slice();
  const b = await preactivations(
    sae,
    x.map((v) => 37.5 * v),
    rows,
    kernels,
  );
  for (let i = 0; i < pa.length; i++)
    assert.ok(Math.abs(pa[i]! - b.pre[i]!) < 1e-12 * (1 + Math.abs(pa[i]!)));
  // and the inner product is not: its scores scale with the input
  const inner = randomSae({ score: "inner" });
  inner.params.bEnc.fill(0);
  inner.params.bDec.fill(0);
  const c = (await preactivations(inner, x, rows, kernels)).pre.slice();
  const e = (
    await preactivations(
      inner,
      x.map((v) => 2 * v),
      rows,
      kernels,
    )
  ).pre;
  for (let i = 0; i < c.length; i++) assert.ok(Math.abs(e[i]! - 2 * c[i]!) < 1e-9 * (1 + Math.abs(c[i]!)));
});
