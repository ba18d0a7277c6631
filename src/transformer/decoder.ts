/**
 * The forward pass of every decoder-only family cosae runs (llama2.c, Llama,
 * Qwen 2, GPT-2, GPT-NeoX, Gemma 2), over packed sequences, reading only a
 * DecoderConfig and its DecoderWeights, with TransformerLens-named hooks (see
 * hooks.ts). Matrix products go through `kernels.denseScores` (X·Wᵀ for W
 * [out, in], the checkpoints' own layout); attention runs on the kernel set
 * when it has it (the webgpu set: kernels/device-extras.ts), else natively
 * when the addon is built (native-attention.ts); norms, rotary and activations are
 * typed-array loops (layer-math.ts, rope.ts). Intermediate arrays are copied
 * only where a hook could keep them.
 */

import { hasAttention, hasConstantWeights } from "../kernels/device-extras.js";
import type { Kernels } from "../kernels/kernels.js";
import type { PhaseClock } from "../kernels/phase-clock.js";
import { checkDecoderWeights, validateDecoderConfig } from "./decoder-checks.js";
import type { DecoderConfig, DecoderWeights, NormWeights, RotaryConfig } from "./decoder-config.js";
import { checkHookNames, type HookDescription, type HookInfo, type Hooks, listHooks } from "./hooks.js";
import { applyGainBias, effectiveGain, softcapInPlace } from "./layer-math.js";
import { fastCausalAttention } from "./native-attention.js";
import {
  fastAddArrays,
  fastAddBias,
  fastAddInto,
  fastBiasActivate,
  fastGatedActivate,
  fastNormalize,
  fastNormalizeAffine,
} from "./native-layer-math.js";
import { applyRope, type RopeTable, ropeTable, rotaryFrequencies } from "./rope.js";
import type { Tokenizer } from "./tokenizer.js";

export interface ForwardOptions {
  readonly kernels: Kernels;
  /** Functions by hook name; one may return an array to replace the value downstream. */
  readonly hooks?: Hooks;
  /** Compute logits [rows, vocab]. Default: true unless `stopAfter` is given. */
  readonly logits?: boolean;
  /** When logits are not requested, stop right after this hook has run (harvesting): no later layer is computed. */
  readonly stopAfter?: string;
  /**
   * For the benchmark: wall time charged to "products", "attention",
   * "elementwise" (norms, activations, rotary, biases, soft-caps) and "other"
   * (embedding, residual sums, copies, hooks).
   */
  readonly clock?: PhaseClock;
}

export interface ForwardResult {
  /** [rows, vocab] row-major, rows = Σ sequence lengths, when requested. */
  readonly logits?: Float32Array;
}

/** A norm ready to apply: its gain (1 + g already added for Gemma) and bias. */
interface PreparedNorm {
  readonly gain: Float32Array;
  readonly bias: Float32Array | null;
}

/** Weights rearranged for the forward pass: q, k, v stacked, and gate, up stacked, so each is one product. */
interface PackedLayer {
  readonly ln1: PreparedNorm;
  readonly ln1Post: PreparedNorm | null;
  readonly ln2: PreparedNorm;
  readonly ln2Post: PreparedNorm | null;
  readonly wqkv: Float32Array; // [(heads + 2·kvHeads)·headSize, dim]
  readonly bqkv: Float32Array | null;
  readonly wo: Float32Array;
  readonly bo: Float32Array | null;
  /** Gated: gate and up stacked [2·mlpDim, dim]; plain: up [mlpDim, dim]. */
  readonly wIn: Float32Array;
  readonly bIn: Float32Array | null;
  readonly wDown: Float32Array;
  readonly bDown: Float32Array | null;
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
  ln1Post: string;
  attnOut: string;
  residMid: string;
  ln2: string;
  mlpPost: string;
  ln2Post: string;
  mlpOut: string;
  residPost: string;
}

export class DecoderModel {
  readonly config: DecoderConfig;
  readonly weights: DecoderWeights;
  /** The tokenizer the model was loaded with, if any. */
  readonly tokenizer: Tokenizer | undefined;
  /** Where the model came from (a path) and in what format, for messages. */
  readonly source: string;
  readonly format: string;
  /** Every hook point, in forward order, with its width and a one-line description. */
  readonly hooks: readonly HookDescription[];
  private readonly hookSet: ReadonlySet<string>;
  private readonly packed: PackedLayer[];
  private readonly finalNorm: PreparedNorm;
  /** cos/sin by position, grown to the longest sequence run so far (a 131k-position table is 67 MB). */
  private rope: RopeTable | null = null;
  private readonly layerHooks: LayerHookNames[];

  constructor(
    config: DecoderConfig,
    weights: DecoderWeights,
    options: { source: string; format: string; tokenizer?: Tokenizer },
  ) {
    validateDecoderConfig(config, options.source);
    checkDecoderWeights(config, weights, options.source);
    this.config = config;
    this.weights = weights;
    this.tokenizer = options.tokenizer;
    this.source = options.source;
    this.format = options.format;
    this.hooks = listHooks(config);
    this.hookSet = new Set(this.hooks.map((h) => h.name));
    const prepare = (w: NormWeights): PreparedNorm => ({ gain: effectiveGain(config.norm, w), bias: w.bias });
    this.packed = weights.layers.map((w) => ({
      ln1: prepare(w.ln1),
      ln1Post: w.ln1Post === null ? null : prepare(w.ln1Post),
      ln2: prepare(w.ln2),
      ln2Post: w.ln2Post === null ? null : prepare(w.ln2Post),
      wqkv: stack(w.wq, w.wk, w.wv),
      bqkv: w.bq === null || w.bk === null || w.bv === null ? null : stack(w.bq, w.bk, w.bv),
      wo: w.wo,
      bo: w.bo,
      wIn: w.wGate === null ? w.wUp : stack(w.wGate, w.wUp),
      bIn: w.wGate === null ? w.bUp : null,
      wDown: w.wDown,
      bDown: w.bDown,
    }));
    this.finalNorm = prepare(weights.finalNorm);
    this.layerHooks = weights.layers.map((_, l) => ({
      residPre: `blocks.${l}.hook_resid_pre`,
      ln1: `blocks.${l}.ln1.hook_normalized`,
      ln1Post: `blocks.${l}.ln1_post.hook_normalized`,
      attnOut: `blocks.${l}.hook_attn_out`,
      residMid: `blocks.${l}.hook_resid_mid`,
      ln2: `blocks.${l}.ln2.hook_normalized`,
      mlpPost: `blocks.${l}.mlp.hook_post`,
      ln2Post: `blocks.${l}.ln2_post.hook_normalized`,
      mlpOut: `blocks.${l}.hook_mlp_out`,
      residPost: `blocks.${l}.hook_resid_post`,
    }));
  }

  /** The rotary table for positions below `length` at least (doubling, up to maxSeqLen). */
  private ropeTable(rotary: RotaryConfig, length: number): RopeTable {
    if (this.rope === null || this.rope.positions < length) {
      const positions = Math.min(this.config.maxSeqLen, Math.max(length, 2 * (this.rope?.positions ?? 128)));
      this.rope = ropeTable(positions, rotaryFrequencies(rotary));
    }
    return this.rope;
  }

  /**
   * The logit lens of directions in the residual stream, rows [rows, dim]:
   * through the final norm's gain (1 + g for Gemma), after removing each row's
   * mean for LayerNorm, then the unembedding and the final soft-cap. The
   * norm's 1/rms and bias are left out (a direction has no scale of its own;
   * the bias adds the same logits to every direction), so the order of tokens
   * is that of a residual holding the direction. The result may be the
   * kernels' buffer: read it before their next call.
   */
  async unembedDirections(directions: Float32Array, rows: number, kernels: Kernels): Promise<Float32Array> {
    const { dim, vocabSize } = this.config;
    if (directions.length < rows * dim) {
      throw new RangeError(`unembedDirections: ${directions.length} values; expected ${rows}×${dim}`);
    }
    const x = directions.slice(0, rows * dim);
    if (this.config.norm.kind === "layer") {
      for (let t = 0; t < rows; t++) {
        let sum = 0;
        for (let i = 0; i < dim; i++) sum += x[t * dim + i]!;
        const mean = sum / dim;
        for (let i = 0; i < dim; i++) x[t * dim + i] = x[t * dim + i]! - mean;
      }
    }
    applyGainBias(x, rows, this.finalNorm.gain, null);
    if (hasConstantWeights(kernels)) kernels.markConstant(this.weights.classifier);
    const logits = (await kernels.denseScores(
      x,
      this.weights.classifier,
      rows,
      dim,
      vocabSize,
    )) as Float32Array;
    const out = logits.length === rows * vocabSize ? logits : logits.subarray(0, rows * vocabSize);
    if (this.config.finalSoftcap !== null) softcapInPlace(out, this.config.finalSoftcap);
    return out;
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
    const { dim, mlpDim, vocabSize, heads, kvHeads, headSize } = cfg;
    const qWidth = heads * headSize;
    const qkvWidth = (heads + 2 * kvHeads) * headSize;

    const sequenceLengths = sequences.map((s) => s.length);
    const rows = sequenceLengths.reduce((a, b) => a + b, 0);
    const longest = sequenceLengths.reduce((a, b) => Math.max(a, b), 0);
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
    const hooked = (name: string) => hooks[name] !== undefined || name === stopAfter;
    const clock = options.clock;
    // Charges the time since the last lap to "other", then this step's to `phase`.
    const timed = <T>(phase: string, step: () => T): T => {
      clock?.lap("other");
      const result = step();
      clock?.lap(phase);
      return result;
    };
    // The weights do not change while the model runs: a device kernel set keeps its copies unchecked.
    const constantWeights = hasConstantWeights(kernels) ? kernels : null;
    // The kernels may reuse their output buffer, so a product must be used up
    // before the next one, or copied: `keep` when a hook sees it (and may hold on to it).
    const product = async (
      x: Float32Array,
      w: Float32Array,
      bias: Float32Array | null,
      width: number,
      out: number,
      keep: boolean,
    ) => {
      clock?.lap("other");
      constantWeights?.markConstant(w);
      const raw = (await kernels.denseScores(x, w, rows, width, out)) as Float32Array;
      clock?.lap("products");
      const result = keep || raw.length !== rows * out ? raw.slice(0, rows * out) : raw;
      if (bias !== null) timed("elementwise", () => fastAddBias(result, rows, bias));
      return result;
    };
    // The whole norm, through the hook on its normalized value (before gain and bias) when there is one.
    const normed = async (name: string, layer: number, x: Float32Array, norm: PreparedNorm) => {
      if (!hooked(name))
        return timed("elementwise", () => fastNormalizeAffine(x, rows, cfg.norm, norm.gain, norm.bias));
      const seen = await fire(
        name,
        layer,
        timed("elementwise", () => fastNormalize(x, rows, dim, cfg.norm)),
        dim,
      );
      const out = seen.slice(); // a hook may keep `seen`: never scale it in place
      timed("elementwise", () => applyGainBias(out, rows, norm.gain, norm.bias));
      return out;
    };
    const lengths = Int32Array.from(sequenceLengths);

    clock?.restart();
    try {
      let resid: Float32Array = new Float32Array(rows * dim);
      const { tokenEmbedding, positionEmbedding } = this.weights;
      const scale = cfg.embeddingScale;
      let r = 0;
      for (const seq of sequences) {
        for (let t = 0; t < seq.length; t++, r++) {
          const row = tokenEmbedding.subarray(seq[t]! * dim, (seq[t]! + 1) * dim);
          if (scale === 1) resid.set(row, r * dim);
          else for (let i = 0; i < dim; i++) resid[r * dim + i] = row[i]! * scale;
        }
      }
      resid = await fire("hook_embed", 0, resid, dim);
      if (positionEmbedding !== null) {
        let positions: Float32Array = new Float32Array(rows * dim);
        r = 0;
        for (const n of sequenceLengths) {
          for (let t = 0; t < n; t++, r++)
            positions.set(positionEmbedding.subarray(t * dim, (t + 1) * dim), r * dim);
        }
        positions = await fire("hook_pos_embed", 0, positions, dim);
        resid = fastAddArrays(resid, positions);
      }
      for (let l = 0; l < cfg.layers; l++) {
        const w = this.packed[l]!;
        const names = this.layerHooks[l]!;
        resid = await fire(names.residPre, l, resid, dim);

        // Attention.
        const qkv = await product(
          await normed(names.ln1, l, resid, w.ln1),
          w.wqkv,
          w.bqkv,
          dim,
          qkvWidth,
          false,
        );
        if (cfg.rotary !== null) {
          const rope = this.ropeTable(cfg.rotary, longest);
          const { style } = cfg.rotary;
          clock?.lap("other");
          let row = 0;
          for (const n of sequenceLengths) {
            for (let t = 0; t < n; t++, row++) {
              const base = row * qkvWidth;
              applyRope(qkv, base, heads, headSize, t, rope, style);
              applyRope(qkv, base + qWidth, kvHeads, headSize, t, rope, style);
            }
          }
          clock?.lap("elementwise");
        }
        const window = cfg.slidingWindow !== null && cfg.slidingLayers[l] === true ? cfg.slidingWindow : 0;
        const attentionShape = {
          heads,
          kvHeads,
          headSize,
          scale: cfg.attentionScale,
          softcap: cfg.attentionSoftcap ?? 0,
          window,
        };
        // On the kernel set's device when it has attention (webgpu), else on the CPU.
        let attended: Float32Array;
        if (hasAttention(kernels)) {
          clock?.lap("other");
          attended = await kernels.causalAttention(qkv, lengths, attentionShape);
          clock?.lap("attention");
        } else attended = timed("attention", () => fastCausalAttention(qkv, lengths, attentionShape));
        let attnOut = await product(attended, w.wo, w.bo, qWidth, dim, hooked(names.attnOut));
        if (w.ln1Post !== null) attnOut = await normed(names.ln1Post, l, attnOut, w.ln1Post);
        attnOut = await fire(names.attnOut, l, attnOut, dim);
        // Sequential: the MLP reads resid_mid; parallel (NeoX): it reads resid_pre too.
        let mlpInput = resid;
        let sum = timed("other", () => fastAddArrays(resid, attnOut));
        if (cfg.residual === "sequential") {
          sum = await fire(names.residMid, l, sum, dim);
          mlpInput = sum;
        }

        // MLP.
        const mlpIn = await normed(names.ln2, l, mlpInput, w.ln2);
        let hidden: Float32Array;
        if (cfg.mlp === "gated") {
          const gateUp = await product(mlpIn, w.wIn, null, dim, 2 * mlpDim, false);
          hidden = timed("elementwise", () => fastGatedActivate(gateUp, rows, mlpDim, cfg.activation));
        } else {
          // Kept when a hook sees it, or when the next product could reuse its buffer (same size).
          hidden = await product(mlpIn, w.wIn, null, dim, mlpDim, hooked(names.mlpPost) || mlpDim === dim);
          const h = hidden;
          timed("elementwise", () => fastBiasActivate(h, rows, mlpDim, w.bIn, cfg.activation));
        }
        hidden = await fire(names.mlpPost, l, hidden, mlpDim);
        let mlpOut = await product(hidden, w.wDown, w.bDown, mlpDim, dim, hooked(names.mlpOut));
        if (w.ln2Post !== null) mlpOut = await normed(names.ln2Post, l, mlpOut, w.ln2Post);
        mlpOut = await fire(names.mlpOut, l, mlpOut, dim);
        if (cfg.residual === "sequential") {
          resid = timed("other", () => fastAddArrays(sum, mlpOut));
        } else {
          // `sum` is ours (never shown to a hook), so it can take the MLP in place.
          fastAddInto(sum, mlpOut);
          resid = sum;
        }
        resid = await fire(names.residPost, l, resid, dim);
      }
      resid = await fire(`blocks.${cfg.layers}.hook_resid_pre`, cfg.layers, resid, dim);
      const lnFinal = await normed("ln_final.hook_normalized", -1, resid, this.finalNorm);
      if (!wantLogits) {
        clock?.lap("other");
        return {};
      }
      // The unembedding a block of rows at a time, into the one array returned: the kernels'
      // buffer stays ≤ 128 MB and is reused, where one product would hold the logits twice.
      const logits = new Float32Array(rows * vocabSize);
      const blockRows = Math.max(1, Math.min(rows, Math.floor(2 ** 25 / vocabSize)));
      for (let r0 = 0; r0 < rows; r0 += blockRows) {
        const n = Math.min(blockRows, rows - r0);
        const x = lnFinal.subarray(r0 * dim, (r0 + n) * dim);
        clock?.lap("other");
        constantWeights?.markConstant(this.weights.classifier);
        const part = await kernels.denseScores(x, this.weights.classifier, n, dim, vocabSize);
        clock?.lap("products");
        logits.set(part.subarray(0, n * vocabSize), r0 * vocabSize);
      }
      const cap = cfg.finalSoftcap;
      if (cap !== null) timed("elementwise", () => softcapInPlace(logits, cap));
      clock?.lap("other");
      return { logits };
    } catch (err) {
      if (err instanceof StopForward) {
        clock?.lap("other");
        return {};
      }
      throw err;
    }
  }
}

function describeArray(x: unknown): string {
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name} of ${(x as Float32Array).length}`;
  return typeof x;
}
