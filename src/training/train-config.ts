import { type FieldTable, type FieldValues, validateFields } from "../config/fields.js";
import { scoreKinds } from "../kernels/score-family.js";
import {
  cosineOriginProblem,
  cosineOrigins,
  decodings,
  type SaeConfig,
  trainableActivations,
} from "../model/config.js";

/** Every training option, its default and its meaning; the CLI flags and JSON configs both come from this table. */
export const trainFields = {
  score: { kind: "enum", values: scoreKinds, default: "cosine", help: "encoder score" },
  activation: { kind: "enum", values: trainableActivations, default: "batchtopk", help: "sparsifier" },
  decode: { kind: "enum", values: decodings, default: "plain", help: "decoding law" },
  cosineOf: {
    kind: "enum",
    values: cosineOrigins,
    default: "centred",
    help: "what the cosine and r look at: x_c = x̃ − b_dec, or x̃ (cosine family only)",
  },
  m: { kind: "int", default: 1024, min: 1, help: "number of latents" },
  k: { kind: "int", default: 8, min: 1, help: "mean active latents per token" },
  // 0: a blend family starts as the cosine model it contains (docs/alpha.md: from 0.5, equivariant
  // decoding overshoots high-norm tokens at the start, and Adam's memory of it slows the whole run).
  alphaInit: {
    kind: "number",
    default: 0,
    min: 0,
    max: 1,
    help: "initial α (blend, blend-feature; 0 starts as cosine)",
  },
  eps: { kind: "number", default: 1e-6, min: 0, help: "ε in the cosine denominator" },
  steps: { kind: "int", default: 1000, min: 1, help: "optimizer steps" },
  batchSize: { kind: "int", default: 1024, min: 1, help: "tokens per step (B)" },
  lr: {
    kind: "number",
    default: null,
    min: 0,
    exclusiveMin: true,
    help: "peak learning rate (auto: 2e-4/√(m/16384))",
  },
  warmupSteps: {
    kind: "int",
    default: null,
    min: 0,
    help: "linear warm-up steps (auto: 5% of steps, ≤ 1000)",
  },
  decayFraction: {
    kind: "number",
    default: 0.2,
    min: 0,
    max: 1,
    help: "final share of steps with linear decay to 0",
  },
  auxkCoef: { kind: "number", default: 1 / 32, min: 0, help: "λ_aux (0 turns AuxK off)" },
  kAux: { kind: "int", default: null, min: 1, help: "AuxK latents per token (auto: d/2)" },
  deadTokens: {
    kind: "int",
    default: null,
    min: 1,
    help: "tokens without firing before a latent counts as dead (auto: min(10M, tokens/10))",
  },
  reweight: {
    kind: "enum",
    values: ["none", "equalize"],
    default: "none",
    help: "token weights ω in the loss",
  },
  clipGradNorm: { kind: "number", default: 0, min: 0, help: "clip the global gradient norm (0: off)" },
  thresholdRate: {
    kind: "number",
    default: 0.01,
    min: 0,
    max: 1,
    help: "EMA rate of the inference threshold τ",
  },
  bDecInit: {
    kind: "enum",
    values: ["geometric-median", "mean"],
    default: "geometric-median",
    help: "b_dec initialisation",
  },
  initTokens: { kind: "int", default: 4096, min: 1, help: "tokens used to estimate s, b_dec and ν" },
  seed: { kind: "int", default: 0, min: 0, max: 2 ** 32 - 1, help: "seed for initialisation and data" },
  checkpointEvery: {
    kind: "int",
    default: 0,
    min: 0,
    help: "steps between checkpoints (0: only at the end and by time)",
  },
  checkpointMinutes: {
    kind: "number",
    default: 5,
    min: 0,
    help: "minutes between checkpoints, besides checkpointEvery (0: off)",
  },
  logEvery: { kind: "int", default: 10, min: 1, help: "steps between metric lines" },
} as const satisfies FieldTable;

/** The training options of `cosae train` (defaults in `trainFields`); null means derived from the others. */
export type TrainConfig = FieldValues<typeof trainFields>;

/** The config with every derived option filled in. */
export type ResolvedTrainConfig = { [K in keyof TrainConfig]: Exclude<TrainConfig[K], null> };

/**
 * `stepsKnown` is false when data.activations.epochs will set the steps: the
 * warm-up is then checked once they are (checkWarmup).
 */
export function validateTrainConfig(input: unknown, where: string, stepsKnown = true): TrainConfig {
  // jumprelu is a model activation (imported SAELens SAEs) that cosae cannot train: say so plainly.
  if ((input as Record<string, unknown> | null)?.activation === "jumprelu") {
    throw new Error(
      `${where}: option "activation" "jumprelu" is inference only (SAELens SAEs read by cosae import); ` +
        `train with ${trainableActivations.map((a) => `"${a}"`).join(" or ")}`,
    );
  }
  const config = validateFields(trainFields, input, where);
  if (config.k > config.m)
    throw new Error(`${where}: option "k" (${config.k}) must not exceed "m" (${config.m})`);
  const origin = cosineOriginProblem(config.score, config.cosineOf);
  if (origin)
    throw new Error(
      `${where}: option "cosineOf" (--cosineOf) ${origin}; use "centred" or a cosine-family score`,
    );
  if (stepsKnown) checkWarmup(config, where);
  return config;
}

/**
 * BatchTopK's inference threshold τ is the average of the batches after
 * warm-up: a warm-up as long as the run would leave none, and τ = 0 would let
 * every positive score fire. Refused here, before anything is written.
 */
export function checkWarmup(config: TrainConfig, where: string): void {
  const { warmupSteps, steps, activation } = config;
  if (activation === "batchtopk" && warmupSteps !== null && warmupSteps >= steps) {
    throw new Error(
      `${where}: option "warmupSteps" (--warmupSteps ${warmupSteps}) must be less than "steps" (--steps ${steps}) ` +
        "for batchtopk: its threshold τ is averaged over the steps after warm-up; lower --warmupSteps or raise --steps",
    );
  }
}

/** Fills the options whose defaults depend on others (DESIGN §3 defaults, scaled to the run). */
export function resolveTrainConfig(config: TrainConfig, d: number): ResolvedTrainConfig {
  const tokens = config.steps * config.batchSize;
  return {
    ...config,
    lr: config.lr ?? 2e-4 / Math.sqrt(config.m / 16384),
    warmupSteps: config.warmupSteps ?? Math.min(1000, Math.floor(config.steps / 20)),
    kAux: config.kAux ?? Math.max(1, Math.floor(d / 2)),
    deadTokens:
      config.deadTokens ?? Math.max(config.batchSize, Math.min(10_000_000, Math.floor(tokens / 10))),
  };
}

export function saeConfigOf(config: TrainConfig, d: number): SaeConfig {
  const { m, k, score, activation, decode, cosineOf, alphaInit, eps } = config;
  return { d, m, k, score, activation, decode, cosineOf, alphaInit, eps };
}
