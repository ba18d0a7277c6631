/**
 * The Llama forward pass over packed sequences, with TransformerLens-named
 * hooks (see hooks.ts). Matrix products go through `kernels.denseScores`
 * (X·Wᵀ for W [out, in], the checkpoints' own layout); attention is native
 * when the addon is built (native-attention.ts); RMSNorm, RoPE and SwiGLU are
 * typed-array loops. Intermediate arrays are copied only where a hook could keep them.
 */
import type { Kernels } from "../kernels/kernels.js";
import { checkHookNames, type HookDescription, type HookInfo, type Hooks, listHooks } from "./hooks.js";
import { addArrays, rmsNormalize, rmsNormalizeScaled, scaleColumns, swiglu } from "./layer-math.js";
import { headSize, kvDim, type LlamaConfig } from "./llama-config.js";
import { checkWeightSizes, type LlamaWeights } from "./llama-weights.js";
import { fastCausalAttention } from "./native-attention.js";
import { applyRope, type RopeTable, ropeTable } from "./rope.js";
import type { Tokenizer } from "./tokenizer.js";

export interface ForwardOptions {
  readonly kernels: Kernels;
  /** Functions by hook name; one may return an array to replace the value downstream. */
  readonly hooks?: Hooks;
  /** Compute logits [rows, vocab]. Default: true unless `stopAfter` is given. */
  readonly logits?: boolean;
  /** When logits are not requested, stop right after this hook has run (harvesting). */
  readonly stopAfter?: string;
}

export interface ForwardResult {
  /** [rows, vocab] row-major, rows = Σ sequence lengths, when requested. */
  readonly logits?: Float32Array;
}

/** Weights rearranged for the forward pass: q, k, v stacked, and gate, up stacked, so each is one product. */
interface PackedLayer {
  readonly attnNorm: Float32Array;
  readonly wqkv: Float32Array; // [dim + 2·kvDim, dim]
  readonly wo: Float32Array;
  readonly mlpNorm: Float32Array;
  readonly wGateUp: Float32Array; // [2·hidden, dim]
  readonly wDown: Float32Array;
}

function stack(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Signals that `stopAfter` was reached. */
class StopForward {}

/** Hook names of one layer, built once. */
interface LayerHookNames {
  residPre: string;
  ln1: string;
  attnOut: string;
  residMid: string;
  ln2: string;
  mlpPost: string;
  mlpOut: string;
  residPost: string;
}

export class LlamaModel {
  readonly config: LlamaConfig;
  readonly weights: LlamaWeights;
  /** The tokenizer the model was loaded with, if any. */
  readonly tokenizer: Tokenizer | undefined;
  /** Where the model came from (a path) and in what format, for messages. */
  readonly source: string;
  readonly format: string;
  /** Every hook point, in forward order, with its width and a one-line description. */
  readonly hooks: readonly HookDescription[];
  private readonly hookSet: ReadonlySet<string>;
  private readonly packed: PackedLayer[];
  private readonly rope: RopeTable;
  private readonly layerHooks: LayerHookNames[];

  constructor(
    config: LlamaConfig,
    weights: LlamaWeights,
    options: { source: string; format: string; tokenizer?: Tokenizer },
  ) {
    checkWeightSizes(config, weights, options.source);
    this.config = config;
    this.weights = weights;
    this.tokenizer = options.tokenizer;
    this.source = options.source;
    this.format = options.format;
    this.hooks = listHooks(config);
    this.hookSet = new Set(this.hooks.map((h) => h.name));
    this.packed = weights.layers.map((w) => ({
      attnNorm: w.attnNorm,
      wqkv: stack(w.wq, w.wk, w.wv),
      wo: w.wo,
      mlpNorm: w.mlpNorm,
      wGateUp: stack(w.wGate, w.wUp),
      wDown: w.wDown,
    }));
    this.rope = ropeTable(config.maxSeqLen, headSize(config), config.ropeTheta);
    this.layerHooks = weights.layers.map((_, l) => ({
      residPre: `blocks.${l}.hook_resid_pre`,
      ln1: `blocks.${l}.ln1.hook_normalized`,
      attnOut: `blocks.${l}.hook_attn_out`,
      residMid: `blocks.${l}.hook_resid_mid`,
      ln2: `blocks.${l}.ln2.hook_normalized`,
      mlpPost: `blocks.${l}.mlp.hook_post`,
      mlpOut: `blocks.${l}.hook_mlp_out`,
      residPost: `blocks.${l}.hook_resid_post`,
    }));
  }

  /**
   * Run the sequences (each its own causal context, positions from 0) packed
   * into rows = Σ lengths. Hooks see and may replace activations; see hooks.ts.
   */
  async forward(sequences: readonly Int32Array[], options: ForwardOptions): Promise<ForwardResult> {
    const { kernels } = options;
    const hooks = options.hooks ?? {};
    const stopAfter = options.stopAfter;
    const wantLogits = options.logits ?? stopAfter === undefined;
    checkHookNames(Object.keys(hooks), this.hookSet, this.source);
    if (stopAfter !== undefined) checkHookNames([stopAfter], this.hookSet, this.source);
    const cfg = this.config;
    const { dim, hiddenDim, vocabSize, heads, kvHeads, normEps } = cfg;
    const hs = headSize(cfg);
    const kv = kvDim(cfg);

    const sequenceLengths = sequences.map((s) => s.length);
    const rows = sequenceLengths.reduce((a, b) => a + b, 0);
    sequences.forEach((seq, i) => {
      if (seq.length > cfg.maxSeqLen) {
        throw new RangeError(
          `${this.source}: sequence ${i} has ${seq.length} tokens; the model accepts at most ${cfg.maxSeqLen}`,
        );
      }
      for (let t = 0; t < seq.length; t++) {
        const id = seq[t]!;
        if (!(id >= 0 && id < vocabSize)) {
          throw new RangeError(
            `${this.source}: sequence ${i} token ${t} is ${id}; expected 0 <= id < ${vocabSize}`,
          );
        }
      }
    });
    if (rows === 0) return wantLogits ? { logits: new Float32Array(0) } : {};

    const fire = async (name: string, layer: number, value: Float32Array, width: number) => {
      const hook = hooks[name];
      let out = value;
      if (hook !== undefined) {
        const info: HookInfo = { name, layer, rows, width, sequenceLengths };
        const replaced = await hook(value, info);
        if (replaced !== undefined) {
          if (!(replaced instanceof Float32Array) || replaced.length !== rows * width) {
            throw new RangeError(
              `hook "${name}" returned ${describeArray(replaced)}; expected a Float32Array of ${rows}×${width} = ${rows * width}`,
            );
          }
          out = replaced;
        }
      }
      if (!wantLogits && name === stopAfter) throw new StopForward();
      return out;
    };
    // The kernels may reuse their output buffer, so a product must be used up
    // before the next one, or copied: `keep` when a hook sees it (and may hold on to it).
    const product = async (x: Float32Array, w: Float32Array, width: number, out: number, keep: boolean) => {
      const result = (await kernels.denseScores(x, w, rows, width, out)) as Float32Array;
      return keep || result.length !== rows * out ? result.slice(0, rows * out) : result;
    };
    const hooked = (name: string) => hooks[name] !== undefined;
    // x / rms(x) · gain, through the hook on x / rms(x) when there is one.
    const normalized = async (name: string, layer: number, x: Float32Array, gain: Float32Array) => {
      if (!hooked(name) && name !== stopAfter) return rmsNormalizeScaled(x, rows, normEps, gain);
      return scaleColumns(await fire(name, layer, rmsNormalize(x, rows, dim, normEps), dim), rows, gain);
    };
    const lengths = Int32Array.from(sequenceLengths);

    try {
      let resid: Float32Array = new Float32Array(rows * dim);
      let r = 0;
      for (const seq of sequences) {
        for (let t = 0; t < seq.length; t++, r++) {
          resid.set(this.weights.tokenEmbedding.subarray(seq[t]! * dim, (seq[t]! + 1) * dim), r * dim);
        }
      }
      for (let l = 0; l < cfg.layers; l++) {
        const w = this.packed[l]!;
        const names = this.layerHooks[l]!;
        resid = await fire(names.residPre, l, resid, dim);

        const qkv = await product(
          await normalized(names.ln1, l, resid, w.attnNorm),
          w.wqkv,
          dim,
          dim + 2 * kv,
          false,
        );
        let row = 0;
        for (const n of sequenceLengths) {
          for (let t = 0; t < n; t++, row++) {
            const base = row * (dim + 2 * kv);
            applyRope(qkv, base, heads, hs, t, this.rope, cfg.ropeStyle);
            applyRope(qkv, base + dim, kvHeads, hs, t, this.rope, cfg.ropeStyle);
          }
        }
        const heads_ = fastCausalAttention(qkv, lengths, { heads, kvHeads, headSize: hs });
        const attnOut = await fire(
          names.attnOut,
          l,
          await product(heads_, w.wo, dim, dim, hooked(names.attnOut)),
          dim,
        );
        const residMid = await fire(names.residMid, l, addArrays(resid, attnOut), dim);

        const gateUp = await product(
          await normalized(names.ln2, l, residMid, w.mlpNorm),
          w.wGateUp,
          dim,
          2 * hiddenDim,
          false,
        );
        const hidden = await fire(names.mlpPost, l, swiglu(gateUp, rows, hiddenDim), hiddenDim);
        const mlpOut = await fire(
          names.mlpOut,
          l,
          await product(hidden, w.wDown, hiddenDim, dim, hooked(names.mlpOut)),
          dim,
        );
        resid = await fire(names.residPost, l, addArrays(residMid, mlpOut), dim);
      }
      resid = await fire(`blocks.${cfg.layers}.hook_resid_pre`, cfg.layers, resid, dim);
      const lnFinal = await normalized("ln_final.hook_normalized", -1, resid, this.weights.finalNorm);
      if (!wantLogits) return {};
      const logits = await product(lnFinal, this.weights.classifier, dim, vocabSize, true);
      return { logits };
    } catch (err) {
      if (err instanceof StopForward) return {};
      throw err;
    }
  }
}

function describeArray(x: unknown): string {
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name} of ${(x as Float32Array).length}`;
  return typeof x;
}
