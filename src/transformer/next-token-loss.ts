import type { Kernels } from "../kernels/kernels.js";
import type { DecoderModel } from "./decoder.js";
import type { Hooks } from "./hooks.js";

export interface NextTokenLoss {
  /** Σ over predicted tokens of −log p(token t+1 | tokens ≤ t), in nats, accumulated in float64. */
  readonly sumLoss: number;
  /** How many tokens were predicted: Σ (length − 1) over the sequences. */
  readonly tokens: number;
}

/**
 * Cross-entropy of predicting each next token, summed over the sequences
 * (mean = sumLoss / tokens). Hooks apply as in `forward`, so a replacing hook
 * measures the loss of a spliced-in reconstruction.
 */
export async function nextTokenLoss(
  model: DecoderModel,
  sequences: readonly Int32Array[],
  options: { kernels: Kernels; hooks?: Hooks },
): Promise<NextTokenLoss> {
  const forwardOptions = options.hooks === undefined ? { kernels: options.kernels } : options;
  const { logits } = await model.forward(sequences, { ...forwardOptions, logits: true });
  const vocab = model.config.vocabSize;
  let sumLoss = 0;
  let tokens = 0;
  let row = 0;
  for (const seq of sequences) {
    for (let t = 0; t + 1 < seq.length; t++) {
      sumLoss += crossEntropy(logits!, (row + t) * vocab, vocab, seq[t + 1]!);
      tokens++;
    }
    row += seq.length;
  }
  return { sumLoss, tokens };
}

/** −log softmax(logits[offset .. offset+vocab])[target], stable, in float64. */
export function crossEntropy(logits: Float32Array, offset: number, vocab: number, target: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < vocab; i++) if (logits[offset + i]! > max) max = logits[offset + i]!;
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp(logits[offset + i]! - max);
  return Math.log(sum) + max - logits[offset + target]!;
}
