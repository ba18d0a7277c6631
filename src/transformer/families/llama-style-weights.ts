/**
 * The tensor names Llama, Qwen 2 and Gemma 2 share (transformers'
 * LlamaForCausalLM layout): model.embed_tokens, model.layers.N.{input_layernorm,
 * self_attn.{q,k,v,o}_proj, post_attention_layernorm, mlp.{gate,up,down}_proj},
 * model.norm, lm_head. Gemma 2 adds pre_/post_feedforward_layernorm and uses
 * post_attention_layernorm after attention instead of before the MLP.
 */
import type { DecoderConfig, DecoderLayerWeights, DecoderWeights, NormWeights } from "../decoder-config.js";
import type { TakeTensor } from "./family.js";
import { readClassifier } from "./tied-classifier.js";

/** Old Llama checkpoints stored each layer's rotary inv_freq buffer. */
export const LLAMA_STYLE_BUFFERS: readonly RegExp[] = [
  /^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/,
];

export function readLlamaStyleWeights(
  config: DecoderConfig,
  take: TakeTensor,
  has: (name: string) => boolean,
): DecoderWeights {
  const { dim, heads, kvHeads, headSize, mlpDim, vocabSize } = config;
  const q = heads * headSize;
  const kv = kvHeads * headSize;
  const norm = (name: string): NormWeights => ({ weight: take(name, [dim]), bias: null });
  const layers: DecoderLayerWeights[] = [];
  for (let l = 0; l < config.layers; l++) {
    const p = `model.layers.${l}.`;
    const a = `${p}self_attn.`;
    const bias = (name: string, n: number): Float32Array | null => (config.qkvBias ? take(name, [n]) : null);
    layers.push({
      ln1: norm(`${p}input_layernorm.weight`),
      ln1Post: config.postNorms ? norm(`${p}post_attention_layernorm.weight`) : null,
      ln2: norm(
        config.postNorms ? `${p}pre_feedforward_layernorm.weight` : `${p}post_attention_layernorm.weight`,
      ),
      ln2Post: config.postNorms ? norm(`${p}post_feedforward_layernorm.weight`) : null,
      wq: take(`${a}q_proj.weight`, [q, dim]),
      wk: take(`${a}k_proj.weight`, [kv, dim]),
      wv: take(`${a}v_proj.weight`, [kv, dim]),
      bq: bias(`${a}q_proj.bias`, q),
      bk: bias(`${a}k_proj.bias`, kv),
      bv: bias(`${a}v_proj.bias`, kv),
      wo: take(`${a}o_proj.weight`, [dim, q]),
      bo: config.outBias ? take(`${a}o_proj.bias`, [dim]) : null,
      wGate: take(`${p}mlp.gate_proj.weight`, [mlpDim, dim]),
      wUp: take(`${p}mlp.up_proj.weight`, [mlpDim, dim]),
      bUp: null,
      wDown: take(`${p}mlp.down_proj.weight`, [dim, mlpDim]),
      bDown: null,
    });
  }
  const tokenEmbedding = take("model.embed_tokens.weight", [vocabSize, dim]);
  return {
    tokenEmbedding,
    positionEmbedding: null,
    layers,
    finalNorm: norm("model.norm.weight"),
    classifier: readClassifier(config, take, has, tokenEmbedding, {
      embedding: "model.embed_tokens.weight",
      head: "lm_head.weight",
    }),
  };
}
