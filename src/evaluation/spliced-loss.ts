/**
 * The spliced loss of DESIGN §4 / issue 5: the model's next-token loss when a
 * hook's value is replaced by the SAE's reconstruction, against the clean
 * model and against zero-ablation of the same positions:
 *
 *   loss added         = L_spliced − L_clean
 *   fraction recovered = (L_zero − L_spliced) / (L_zero − L_clean)
 *
 * Only the positions the dataset holds are replaced (BOS, dropped by harvest
 * by default, keeps its own value, as the SAE never saw it); the loss is the
 * mean over every prediction of the held-out sequences.
 */
import type { TokenRows } from "../data/activation-file.js";
import type { Kernels } from "../kernels/kernels.js";
import { reconstruct } from "../model/forward.js";
import type { Sae } from "../model/sae.js";
import type { DecoderModel } from "../transformer/decoder.js";
import type { HookInfo } from "../transformer/hooks.js";
import { nextTokenLoss } from "../transformer/next-token-loss.js";
import type { SplicedLoss } from "./evaluate.js";

/** Held-out sequences rebuilt from dataset rows, and which packed positions came from rows. */
export interface SpliceSequences {
  sequences: Int32Array[];
  /** per packed position (sequences concatenated), 1 where the dataset holds the position */
  fromRows: Uint8Array;
}

/**
 * The model inputs of the held-out rows: each sequence's ids in position
 * order, led by BOS when the rows start at position 1 (BOS dropped). Rows of a
 * sequence must be contiguous with consecutive positions from 0 or 1.
 */
export function spliceSequences(tokens: TokenRows, bosId: number, where: string): SpliceSequences {
  const n = tokens.ids.length;
  const sequences: Int32Array[] = [];
  const flags: number[] = [];
  for (let a = 0; a < n; ) {
    let b = a + 1;
    while (b < n && tokens.sequence[b] === tokens.sequence[a]) b++;
    const first = tokens.position[a]!;
    if (first !== 0 && first !== 1) {
      throw new Error(
        `${where}: sequence ${tokens.sequence[a]} starts at position ${first}; the spliced loss needs whole sequences`,
      );
    }
    for (let i = a + 1; i < b; i++) {
      if (tokens.position[i] !== tokens.position[i - 1]! + 1) {
        throw new Error(
          `${where}: sequence ${tokens.sequence[a]} has a gap at position ${tokens.position[i - 1]! + 1}; ` +
            "the spliced loss needs whole sequences (rows skipped as non-finite?)",
        );
      }
    }
    const lead = first === 1 ? 1 : 0;
    const seq = new Int32Array(lead + b - a);
    if (lead) seq[0] = bosId;
    seq.set(tokens.ids.subarray(a, b), lead);
    sequences.push(seq);
    if (lead) flags.push(0);
    for (let i = a; i < b; i++) flags.push(1);
    a = b;
  }
  return { sequences, fromRows: Uint8Array.from(flags) };
}

/** Measures spliced losses of several SAEs on the same sequences; the clean and zero-ablated losses are computed once. */
export class SplicedLossMeter {
  private baseline: Promise<{ clean: number; zeroAblated: number; tokens: number }> | null = null;
  /** the hook's width: the d an SAE must have */
  private readonly width: number;

  constructor(
    readonly model: DecoderModel,
    readonly hook: string,
    readonly input: SpliceSequences,
    readonly kernels: Kernels,
    /** tokens per forward pass (bounds the logits and activations held at once) */
    readonly batchTokens = 8192,
  ) {
    const info = model.hooks.find((h) => h.name === hook);
    if (!info)
      throw new Error(`${model.source}: no hook "${hook}"; "cosae inspect ${model.source}" lists them`);
    this.width = info.width;
  }

  async measure(sae: Sae): Promise<SplicedLoss> {
    const { width } = this;
    if (sae.config.d !== width) {
      throw new Error(`the SAE has d = ${sae.config.d} but hook "${this.hook}" has width ${width}`);
    }
    this.baseline ??= this.baselineLosses();
    const { clean, zeroAblated, tokens } = await this.baseline;
    const spliced = await this.meanLoss(async (value, mask) => {
      const x = gatherRows(value, mask, width);
      const { reconstruction } = await reconstruct(sae, x.rows, x.count, this.kernels);
      return scatterRows(value, mask, width, reconstruction);
    });
    return {
      hook: this.hook,
      tokens,
      clean,
      spliced: spliced.mean,
      zeroAblated,
      lossAdded: spliced.mean - clean,
      fractionRecovered: (zeroAblated - spliced.mean) / (zeroAblated - clean),
    };
  }

  private async baselineLosses(): Promise<{ clean: number; zeroAblated: number; tokens: number }> {
    const clean = await this.meanLoss(null);
    const { width } = this;
    const zero = await this.meanLoss(async (value, mask) =>
      scatterRows(value, mask, width, new Float32Array(countOnes(mask) * width)),
    );
    return { clean: clean.mean, zeroAblated: zero.mean, tokens: clean.tokens };
  }

  /** Mean next-token loss over all sequences, with `replace` (if any) applied at the hook, in batches. */
  private async meanLoss(
    replace: ((value: Float32Array, mask: Uint8Array) => Promise<Float32Array>) | null,
  ): Promise<{ mean: number; tokens: number }> {
    const { sequences, fromRows } = this.input;
    let sumLoss = 0;
    let tokens = 0;
    let packedStart = 0;
    for (let a = 0; a < sequences.length; ) {
      let b = a;
      let batchLength = 0;
      while (b < sequences.length && (b === a || batchLength + sequences[b]!.length <= this.batchTokens)) {
        batchLength += sequences[b]!.length;
        b++;
      }
      const mask = fromRows.subarray(packedStart, packedStart + batchLength);
      const hooks =
        replace === null
          ? undefined
          : { [this.hook]: (value: Float32Array, _info: HookInfo) => replace(value, mask) };
      const r = await nextTokenLoss(
        this.model,
        sequences.slice(a, b),
        hooks ? { kernels: this.kernels, hooks } : { kernels: this.kernels },
      );
      sumLoss += r.sumLoss;
      tokens += r.tokens;
      packedStart += batchLength;
      a = b;
    }
    return { mean: sumLoss / tokens, tokens };
  }
}

function countOnes(mask: Uint8Array): number {
  let n = 0;
  for (const v of mask) n += v;
  return n;
}

/** The rows of `value` [mask.length, width] where mask is 1, packed. */
function gatherRows(
  value: Float32Array,
  mask: Uint8Array,
  width: number,
): { rows: Float32Array; count: number } {
  const count = countOnes(mask);
  const rows = new Float32Array(count * width);
  let at = 0;
  for (let t = 0; t < mask.length; t++) {
    if (!mask[t]) continue;
    rows.set(value.subarray(t * width, (t + 1) * width), at * width);
    at++;
  }
  return { rows, count };
}

/** A copy of `value` with the masked rows replaced, in order, by `rows`. */
function scatterRows(
  value: Float32Array,
  mask: Uint8Array,
  width: number,
  rows: ArrayLike<number>,
): Float32Array {
  const out = Float32Array.from(value);
  let at = 0;
  for (let t = 0; t < mask.length; t++) {
    if (!mask[t]) continue;
    for (let c = 0; c < width; c++) out[t * width + c] = rows[at * width + c]!;
    at++;
  }
  return out;
}
