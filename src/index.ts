/**
 * cosae as a TypeScript library: train, save, load, encode, evaluate and
 * compare cosine-scored sparse autoencoders on transformer activations.
 *
 * ```ts
 * import { arraySource, trainSae, saveSae, loadSae, encode } from "cosae";
 * const sae = await trainSae(arraySource(x, rows, d), { m: 64, k: 4, steps: 20, batchSize: 256 });
 * ```
 *
 * Everything here is re-exported from `src/api/` (the library's own surface)
 * or is a type of the model it hands out; the modules behind it are internal.
 *
 * @packageDocumentation
 */

export {
  type AlphaStep,
  type CompareFamiliesOptions,
  type CompareRun,
  type CompareSection,
  compareFamilies,
  type FamilySpec,
  type MatchedRow,
  type MatchedTarget,
  scoreFamilies,
} from "./api/compare.js";
export { decode, type EncodeOptions, encode, reconstruct, type SparseCodes } from "./api/encode.js";
export {
  type AbsorptionReport,
  type AlphaReport,
  type ConceptGroup,
  type DatasetEvalOptions,
  type EvalReport,
  type EvalSet,
  type EvaluateOptions,
  evaluate,
  evaluateOnDataset,
  fireCounts,
  fractionOfVarianceUnexplained,
  type Histogram,
  type LetterAbsorption,
  meanL0,
  type ProbeScore,
  type ProbingReport,
  type ProbingScores,
  type SlotShareByNorm,
  type SplicedLoss,
  syntheticEvalSet,
} from "./api/evaluate.js";
export { type KernelSet, type KernelsKind, type OpenKernelsOptions, openKernels } from "./api/kernels.js";
export {
  type ActivationDType,
  type ActivationFileFormat,
  type DecoderConfig,
  type HarvestActivationsOptions,
  type HarvestProgress,
  type HarvestResult,
  type HookDescription,
  type HookFunction,
  type HookInfo,
  type Hooks,
  harvestActivations,
  type Llama3RopeScaling,
  loadModel,
  meanNextTokenLoss,
  type NormConfig,
  type RopeStyle,
  type RotaryConfig,
  type RunModelOptions,
  runModel,
  saeSpliceHook,
  type Tokenizer,
  type TransformerModel,
} from "./api/model.js";
export { exportSaeLens, type LoadedSae, loadSae, loadSaeWithInfo, saveSae } from "./api/sae-files.js";
export {
  type ActivationRows,
  type ActivationSource,
  type ArraySourceOptions,
  arraySource,
  type OpenActivationsOptions,
  openActivations,
  readActivations,
  syntheticActivations,
} from "./api/sources.js";
export {
  type FieldSpec,
  type FieldTable,
  type FieldValue,
  type FieldValues,
  type StepMetrics,
  type TrainConfig,
  type TrainOptions,
  type TrainRunOptions,
  trainFields,
  trainRunFolder,
  trainSae,
} from "./api/train.js";
export { conceptGroups } from "./concepts/concept-bank.js";
export { activationDTypes, activationFileFormats } from "./data/activation-manifest.js";
export type { SyntheticConfig } from "./data/synthetic-config.js";
export type { FloatArray, SparseRows } from "./kernels/arrays.js";
export { type ScoreKind, scoreKinds } from "./kernels/score-family.js";
export {
  type Activation,
  activations,
  type CosineOrigin,
  cosineOrigins,
  type Decoding,
  decodings,
  type SaeConfig,
  type TrainableActivation,
  trainableActivations,
} from "./model/config.js";
export type { DecoderBiasInit } from "./model/init.js";
export type { Sae, SaeConstants, SaeParams } from "./model/sae.js";
