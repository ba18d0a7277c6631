/**
 * The shape of every decoder-only transformer cosae runs, whatever family it
 * comes from (llama2.c, Llama 2/3, Qwen 2, GPT-2, GPT-NeoX/Pythia, Gemma 2).
 * A family file (families/*.ts) maps its config.json onto this; the forward
 * pass (decoder.ts) reads only this. Matrices are row-major [out, in], y = W x.
 */

/**
 * How RoPE pairs the rotated dimensions of a head:
 * - "adjacent-pairs": (2i, 2i+1) rotate together (llama2.c, Meta's original code);
 * - "half-split": (i, i + rotaryDims/2) rotate together (Hugging Face's rotate_half).
 * Both use frequency theta^(-2i/rotaryDims) for pair i.
 */
export type RopeStyle = "adjacent-pairs" | "half-split";

/** Llama 3.1's `rope_scaling: {rope_type: "llama3", …}` (transformers' _compute_llama3_parameters). */
export interface Llama3RopeScaling {
  readonly kind: "llama3";
  readonly factor: number;
  readonly lowFreqFactor: number;
  readonly highFreqFactor: number;
  readonly originalMaxPositions: number;
}

/** Rotary position embedding: its base, how many dimensions of each head rotate, their pairing and any scaling. */
export interface RotaryConfig {
  readonly theta: number;
  /** Leading dimensions of each head that rotate (GPT-NeoX rotary_pct · headSize); the rest pass through. */
  readonly dims: number;
  readonly style: RopeStyle;
  readonly scaling: Llama3RopeScaling | null;
}

/** The kind of every norm of the model (all its norms are alike), its epsilon, and Gemma's unit offset. */
export interface NormConfig {
  /** "rms": x / sqrt(mean(x²) + eps) · g; "layer": (x − mean) / sqrt(var + eps) · g + b. */
  readonly kind: "rms" | "layer";
  readonly eps: number;
  /** Gemma multiplies by (1 + g) instead of g. */
  readonly unitOffset: boolean;
}

/**
 * A decoder-only transformer's shape and computation: widths, norms, positions,
 * attention variants, MLP kind and residual layout. Every family maps its
 * config onto it, and the forward pass reads only it.
 */
export interface DecoderConfig {
  /** config.json's model_type ("llama", "gpt2", "gpt_neox", "gemma2", "qwen2"), or "llama2c". */
  readonly family: string;
  /** Residual width d. */
  readonly dim: number;
  readonly layers: number;
  readonly heads: number;
  /** Key/value heads; `heads` is a multiple of it (grouped-query attention). */
  readonly kvHeads: number;
  /** Width of one head (Gemma 2's head_dim need not be dim / heads). */
  readonly headSize: number;
  /** Width of the MLP's hidden layer. */
  readonly mlpDim: number;
  readonly vocabSize: number;
  /** Longest sequence the model accepts. */
  readonly maxSeqLen: number;
  readonly norm: NormConfig;
  /** Learned absolute positions (GPT-2: wpe), or null. */
  readonly learnedPositions: boolean;
  /** Rotary position embedding, or null (GPT-2). */
  readonly rotary: RotaryConfig | null;
  /** q, k, v projections carry biases (GPT-2, NeoX, Qwen 2). */
  readonly qkvBias: boolean;
  /** The attention output projection carries a bias (GPT-2, NeoX). */
  readonly outBias: boolean;
  /** Multiplier of q·k before the softmax: 1/√headSize, or Gemma 2's query_pre_attn_scalar^-½. */
  readonly attentionScale: number;
  /** Gemma 2: scores → c · tanh(scores / c) before the mask, or null. */
  readonly attentionSoftcap: number | null;
  /** Sliding-window size W (a token sees itself and W − 1 before it) on the layers `slidingLayers` marks; null for none. */
  readonly slidingWindow: number | null;
  /** Per layer: whether it uses the sliding window (Gemma 2: even layers). */
  readonly slidingLayers: readonly boolean[];
  /** "plain": down(act(up x + b) ) + b (GPT-2, NeoX); "gated": down(act(gate x) · up x) (Llama, Gemma, Qwen). */
  readonly mlp: "plain" | "gated";
  /** MLP biases (GPT-2, NeoX). */
  readonly mlpBias: boolean;
  /** "silu", "gelu-tanh" (gelu_new, gelu_pytorch_tanh), "gelu-erf" (exact gelu). */
  readonly activation: "silu" | "gelu-tanh" | "gelu-erf";
  /** "sequential": x + attn, then + mlp; "parallel": x + attn(ln1 x) + mlp(ln2 x) (NeoX use_parallel_residual). */
  readonly residual: "sequential" | "parallel";
  /** Gemma 2: a norm after each sublayer too, before the residual add (post_attention, post_feedforward). */
  readonly postNorms: boolean;
  /** Token embeddings are multiplied by this (Gemma: √dim, rounded to float32 as transformers does); 1 elsewhere. */
  readonly embeddingScale: number;
  /** Gemma 2: logits → c · tanh(logits / c), or null. */
  readonly finalSoftcap: number | null;
  /** True when the unembedding is the token embedding (tied weights). */
  readonly sharedClassifier: boolean;
}

/** A norm's gain and (LayerNorm) bias. */
export interface NormWeights {
  readonly weight: Float32Array; // [dim]
  readonly bias: Float32Array | null; // [dim], LayerNorm only
}

/** One block's parameters, float32, matrices [out, in]. Biases are null where the config has none. */
export interface DecoderLayerWeights {
  readonly ln1: NormWeights;
  /** Gemma 2's post_attention_layernorm (applied to the attention output); null unless postNorms. */
  readonly ln1Post: NormWeights | null;
  readonly ln2: NormWeights;
  /** Gemma 2's post_feedforward_layernorm; null unless postNorms. */
  readonly ln2Post: NormWeights | null;
  readonly wq: Float32Array; // [heads·headSize, dim], q rows in the config's RopeStyle order
  readonly wk: Float32Array; // [kvHeads·headSize, dim]
  readonly wv: Float32Array; // [kvHeads·headSize, dim]
  readonly bq: Float32Array | null;
  readonly bk: Float32Array | null;
  readonly bv: Float32Array | null;
  readonly wo: Float32Array; // [dim, heads·headSize]
  readonly bo: Float32Array | null;
  /** Gated MLPs only: [mlpDim, dim]; null for "plain". */
  readonly wGate: Float32Array | null;
  /** [mlpDim, dim]: the up projection (GPT-2 c_fc, NeoX dense_h_to_4h). */
  readonly wUp: Float32Array;
  readonly bUp: Float32Array | null;
  readonly wDown: Float32Array; // [dim, mlpDim]
  readonly bDown: Float32Array | null;
}

export interface DecoderWeights {
  readonly tokenEmbedding: Float32Array; // [vocab, dim]
  /** [maxSeqLen, dim] when learnedPositions, else null. */
  readonly positionEmbedding: Float32Array | null;
  readonly layers: readonly DecoderLayerWeights[];
  readonly finalNorm: NormWeights;
  /** [vocab, dim]; the token embedding itself when the classifier is shared. */
  readonly classifier: Float32Array;
}
