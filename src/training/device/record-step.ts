import { isCosine } from "../../kernels/score-family.js";
import {
  adamOnGpu,
  adamOnSphereOnGpu,
  adamRowNormsOnGpu,
  clampAlphaOnGpu,
} from "../../kernels/webgpu/adam.js";
import { backwardTrainingOnGpu } from "../../kernels/webgpu/backward.js";
import { centreOnGpu } from "../../kernels/webgpu/centre.js";
import { clipGradNormOnGpu } from "../../kernels/webgpu/clip-grad-norm.js";
import { decodeOnGpu } from "../../kernels/webgpu/decode.js";
import { normaliseRowsOnGpu, projectToTangentOnGpu } from "../../kernels/webgpu/decoder-constraint.js";
import type { StepShape } from "../../kernels/webgpu/device-arrays.js";
import { encodeScores } from "../../kernels/webgpu/gemm.js";
import type { Gpu } from "../../kernels/webgpu/gpu.js";
import { latentTermsOnGpu } from "../../kernels/webgpu/latent-terms.js";
import { centredSumOfSquaresOnGpu, residualUpstreamOnGpu } from "../../kernels/webgpu/residual.js";
import type { DeviceScoreSpec } from "../../kernels/webgpu/score-transform.js";
import { applyScoreOnGpu } from "../../kernels/webgpu/score-transform.js";
import {
  applyScoreSelectBatchTopKOnGpu,
  selectTopKAmongOnGpu,
  selectTopKOnGpu,
} from "../../kernels/webgpu/select.js";
import { stepScalarSlot, stepScalarsOnGpu } from "../../kernels/webgpu/step-scalars.js";
import { tokenWeightsOnGpu } from "../../kernels/webgpu/token-weights.js";
import { paramNames, type Sae } from "../../model/sae.js";
import type { EngineConfig } from "../step-engine.js";
import type { StepBuffers } from "./step-buffers.js";

/** What changes from one step to the next. */
export interface StepInputs {
  /** 0-based */
  step: number;
  lr: number;
  /** AuxK this step: how many dead ids were uploaded, and each token's share; null: no AuxK term */
  auxk: { columns: number; kAux: number; coef: number } | null;
  /** compute ‖w_j‖ (the first step of a run; after it Adam's encoder pass leaves them) */
  computeNorms: boolean;
}

/**
 * Records one training step — src/model/loss.ts forwardTraining and backwardTraining,
 * then host-step.ts's optimizer — as GPU work on `b`; nothing is read back here.
 */
export function recordStep(gpu: Gpu, b: StepBuffers, sae: Sae, config: EngineConfig, s: StepInputs): void {
  const { d, m, k, score, activation, eps } = sae.config;
  const B = config.batchSize;
  const shape: StepShape = { rows: B, d, m, nu: sae.constants.nu, eps };
  const equivariant = sae.config.decode === "equivariant";

  // Forward (model/forward.ts encodeTraining, decode), in the benchmark's phases.
  gpu.phase("scores");
  latentTermsOnGpu(gpu, b.params, score, m, d, b.terms, s.computeNorms);
  centreOnGpu(gpu, b.x, 1 / sae.constants.scale, b.zeroOrigin ?? b.params.bDec, shape, b.batch);
  encodeScores(gpu, b.batch.xc, b.params.encoder, b.scores, B, d, m);
  gpu.phase("transform+select");
  const spec: DeviceScoreSpec = { score, bias: b.params.bEnc, terms: b.terms, norm: b.batch.norm };
  if (activation === "batchtopk")
    applyScoreSelectBatchTopKOnGpu(gpu, b.scores, shape, spec, B * k, b.codes, b.minKept);
  else {
    applyScoreOnGpu(gpu, b.scores, shape, spec);
    selectTopKOnGpu(gpu, b.scores, B, m, k, b.codes);
  }
  gpu.phase("decode");
  decodeOnGpu(
    gpu,
    b.codes,
    b.params.decoder,
    b.terms.alpha,
    b.batch.norm,
    shape,
    equivariant,
    b.params.bDec,
    b.residual,
  );
  // e = x̃ − x̂ in place, G = −(2/B) ω_t e (model/loss.ts forwardTraining).
  tokenWeightsOnGpu(gpu, b.batch.xs, shape, config.reweight, b.omega);
  residualUpstreamOnGpu(
    gpu,
    b.batch.xs,
    b.residual,
    b.omega,
    shape,
    { factor: -2 / B },
    b.upstream,
    b.tokenSse,
  );
  centredSumOfSquaresOnGpu(gpu, b.batch.xs, shape, b.scalars, stepScalarSlot.fvuDenominator);

  // AuxK (model/loss.ts auxkTerm): each token's top kAux dead latents reconstruct e.
  const aux =
    s.auxk && b.aux ? { ...s.auxk, ...b.aux, codes: { ...b.aux.codes, capacity: B * s.auxk.kAux } } : null;
  if (aux) {
    gpu.phase("auxk");
    centredSumOfSquaresOnGpu(gpu, b.residual, shape, b.scalars, stepScalarSlot.auxDenominator);
    selectTopKAmongOnGpu(gpu, b.scores, B, m, aux.deadIds, aux.columns, aux.kAux, aux.codes);
    decodeOnGpu(
      gpu,
      aux.codes,
      b.params.decoder,
      b.terms.alpha,
      b.batch.norm,
      shape,
      equivariant,
      null,
      aux.residual,
    );
    const coef = { factor: -2 * aux.coef, over: { scalars: b.scalars, slot: stepScalarSlot.auxDenominator } };
    residualUpstreamOnGpu(gpu, b.residual, aux.residual, null, shape, coef, aux.upstream, aux.tokenSse);
  }
  stepScalarsOnGpu(
    gpu,
    {
      tokenSse: b.tokenSse,
      omega: b.omega,
      codes: b.codes,
      aux: aux ? { tokenSse: aux.tokenSse, coef: aux.coef } : null,
    },
    B,
    b.scalars,
  );

  // Backward (model/loss.ts backwardTraining).
  gpu.phase("backward");
  const main = {
    shape,
    score,
    equivariant,
    centred: sae.config.cosineOf === "centred",
    codes: b.codes,
    upstream: b.upstream,
    batch: b.batch,
    params: b.params,
    terms: b.terms,
    grads: b.grads,
  };
  backwardTrainingOnGpu(gpu, main, aux ? { codes: aux.codes, upstream: aux.upstream } : null, b.backward);

  // The optimizer (host-step.ts): Adam; the decoder on the unit sphere; α projected onto [0, 1].
  gpu.phase("optimizer");
  const t = s.step + 1;
  const clip = config.clipGradNorm > 0 && b.clipScratch;
  if (clip && b.clipScratch) {
    projectToTangentOnGpu(gpu, b.params.decoder, b.grads.decoder, m, d);
    const spans = paramNames.map((name) => ({ buffer: b.grads[name], length: sae.params[name].length }));
    clipGradNormOnGpu(gpu, spans, config.clipGradNorm, b.clipScratch);
  }
  for (const name of paramNames) {
    const length = sae.params[name].length;
    if (length === 0) continue;
    const [param, grad, first, second] = [b.params[name], b.grads[name], b.first[name], b.second[name]];
    if (name === "decoder" && !clip) adamOnSphereOnGpu(gpu, param, grad, first, second, m, d, t, s.lr);
    else if (name === "encoder" && isCosine(score))
      adamRowNormsOnGpu(gpu, param, grad, first, second, m, d, t, s.lr, b.terms.encoderNorm);
    else adamOnGpu(gpu, param, grad, first, second, length, t, s.lr);
  }
  if (clip) normaliseRowsOnGpu(gpu, b.params.decoder, m, d);
  clampAlphaOnGpu(gpu, b.params.alpha, sae.params.alpha.length);
}
