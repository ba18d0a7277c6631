/**
 * Hook points of the decoder forward pass, named as TransformerLens names them
 * (so SAELens users recognise them). First `hook_embed` (token embeddings,
 * times the embedding scale) and, with learned positions, `hook_pos_embed`;
 * then in forward order, for each layer l:
 *
 *   blocks.{l}.hook_resid_pre        residual stream entering block l           [dim]
 *   blocks.{l}.ln1.hook_normalized   the norm before attention, before its gain and bias
 *                                    (x/rms(x), or (x − mean)/std for LayerNorm: TransformerLens
 *                                    with fold_ln)                                [dim]
 *   blocks.{l}.ln1_post.hook_normalized  (post-norm models: Gemma 2) the norm of the attention output [dim]
 *   blocks.{l}.hook_attn_out         what attention adds to the residual (after W_O, and ln1_post) [dim]
 *   blocks.{l}.hook_resid_mid        resid_pre + attn_out (sequential blocks only, as in TransformerLens) [dim]
 *   blocks.{l}.ln2.hook_normalized   the norm before the MLP                      [dim]
 *   blocks.{l}.mlp.hook_post         the MLP's hidden activation                  [mlpDim]
 *   blocks.{l}.ln2_post.hook_normalized  (post-norm models) the norm of the MLP output [dim]
 *   blocks.{l}.hook_mlp_out          what the MLP adds to the residual            [dim]
 *   blocks.{l}.hook_resid_post       the residual leaving block l                [dim]
 *
 * then `blocks.{L}.hook_resid_pre` (L = number of layers): the residual after
 * the last block, before the final norm — the same value as
 * `blocks.{L-1}.hook_resid_post`, offered because reference dumps index the
 * residual stream 0..L — and `ln_final.hook_normalized`.
 *
 * `blocks.{l}.hook_resid_pre` for 0 < l < L fires right after
 * `blocks.{l-1}.hook_resid_post` with its (possibly replaced) value. A
 * parallel block (GPT-NeoX) reads both norms from resid_pre and has no resid_mid.
 */
import type { DecoderConfig } from "./decoder-config.js";
import { ModelFormatError } from "./model-format-error.js";

/** Where a hook function is called: the hook point, its layer, and the shape of the value. */
export interface HookInfo {
  readonly name: string;
  /** The block index, L for `blocks.{L}.hook_resid_pre`, -1 for `ln_final.*`, 0 for `hook_embed` and `hook_pos_embed`. */
  readonly layer: number;
  /** Σ sequence lengths: value is [rows, width] row-major, sequences packed in order. */
  readonly rows: number;
  readonly width: number;
  readonly sequenceLengths: readonly number[];
}

/**
 * Called with the activation at a hook point. The array is the model's own
 * and is never modified afterwards, so it may be kept without copying, but
 * must not be modified. Returning an array of the same length replaces the
 * value for everything downstream; returning nothing leaves it as it is.
 */
export type HookFunction = (
  value: Float32Array,
  info: HookInfo,
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook, or an async hook, may return nothing
) => Float32Array | undefined | void | Promise<Float32Array | undefined | void>;

/** Hook functions by hook name (`blocks.3.hook_resid_pre` …). */
export type Hooks = Readonly<Record<string, HookFunction>>;

/** A hook point of a model: its name, layer, width, and what it holds. */
export interface HookDescription {
  readonly name: string;
  readonly layer: number;
  readonly width: number;
  readonly description: string;
}

/** Every hook point of a model with this config, in the order the forward pass reaches them. */
export function listHooks(config: DecoderConfig): HookDescription[] {
  const { dim, mlpDim, layers } = config;
  const out: HookDescription[] = [];
  const norm = config.norm.kind === "rms" ? "x/rms(x)" : "(x − mean)/std";
  const gain = config.norm.kind === "rms" ? "RMSNorm gain" : "LayerNorm gain and bias";
  const act = { silu: "silu", "gelu-tanh": "gelu (tanh)", "gelu-erf": "gelu" }[config.activation];
  const hidden = config.mlp === "gated" ? `${act}(gate)·up` : `${act}(up x + b)`;
  out.push({
    name: "hook_embed",
    layer: 0,
    width: dim,
    description: "token embeddings (times the embedding scale)",
  });
  if (config.learnedPositions) {
    out.push({ name: "hook_pos_embed", layer: 0, width: dim, description: "learned position embeddings" });
  }
  for (let l = 0; l < layers; l++) {
    const b = `blocks.${l}.`;
    const add = (suffix: string, width: number, description: string): void => {
      out.push({ name: b + suffix, layer: l, width, description });
    };
    add("hook_resid_pre", dim, `residual stream entering block ${l}`);
    add("ln1.hook_normalized", dim, `attention input ${norm}, before the ${gain}`);
    if (config.postNorms)
      add("ln1_post.hook_normalized", dim, `attention output ${norm}, before the ${gain}`);
    add(
      "hook_attn_out",
      dim,
      `attention output (after W_O${config.postNorms ? " and ln1_post" : ""}), added to the residual`,
    );
    if (config.residual === "sequential")
      add("hook_resid_mid", dim, "residual stream between attention and MLP");
    add("ln2.hook_normalized", dim, `MLP input ${norm}, before the ${gain}`);
    add("mlp.hook_post", mlpDim, `MLP hidden activation ${hidden}`);
    if (config.postNorms) add("ln2_post.hook_normalized", dim, `MLP output ${norm}, before the ${gain}`);
    add(
      "hook_mlp_out",
      dim,
      `MLP output (after W_down${config.postNorms ? " and ln2_post" : ""}), added to the residual`,
    );
    add("hook_resid_post", dim, `residual stream leaving block ${l}`);
  }
  out.push({
    name: `blocks.${layers}.hook_resid_pre`,
    layer: layers,
    width: dim,
    description: "residual stream after the last block, before the final norm (= last hook_resid_post)",
  });
  out.push({
    name: "ln_final.hook_normalized",
    layer: -1,
    width: dim,
    description: `final norm ${norm} before its ${gain.replace("RMSNorm ", "").replace("LayerNorm ", "")}, read by the unembedding`,
  });
  return out;
}

/** Throws on any name that is not a hook of this model, listing a few that are. */
export function checkHookNames(names: Iterable<string>, known: ReadonlySet<string>, source: string): void {
  for (const name of names) {
    if (!known.has(name)) {
      const examples = ["blocks.0.hook_resid_pre", "blocks.0.mlp.hook_post", "ln_final.hook_normalized"];
      throw new ModelFormatError(
        `${source}: unknown hook "${name}"; expected one of the model's ${known.size} hooks, e.g. ` +
          `${examples.join(", ")} (model.hooks lists them)`,
      );
    }
  }
}
