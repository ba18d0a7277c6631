import type { DecoderConfig } from "./decoder-config.js";

/** The fields of a DecoderConfig that tell families apart, as a few lines of text (for `cosae inspect`). */
export function describeDecoderConfig(c: DecoderConfig): string[] {
  const norm =
    c.norm.kind === "rms"
      ? `RMSNorm${c.norm.unitOffset ? " (1 + g)" : ""}, eps ${c.norm.eps}`
      : `LayerNorm, eps ${c.norm.eps}`;
  const r = c.rotary;
  const positions =
    r === null
      ? c.learnedPositions
        ? "learned positions"
        : "no positions"
      : `rotary theta ${r.theta} on ${r.dims} of ${c.headSize} head dims (${r.style})` +
        (r.scaling === null
          ? ""
          : `, llama3 scaling factor ${r.scaling.factor}, low/high freq factor ${r.scaling.lowFreqFactor}/` +
            `${r.scaling.highFreqFactor}, original ${r.scaling.originalMaxPositions} positions`);
  const biases = [c.qkvBias && "qkv", c.outBias && "out", c.mlpBias && "mlp"].filter((b) => b !== false);
  const attention = [
    `attention scale ${+c.attentionScale.toPrecision(6)}`,
    c.attentionSoftcap === null ? null : `soft-cap ${c.attentionSoftcap}`,
    c.slidingWindow === null
      ? null
      : `sliding window ${c.slidingWindow} on layers ${c.slidingLayers.flatMap((s, l) => (s ? [l] : [])).join(",")}`,
  ].filter((x) => x !== null);
  return [
    `dim ${c.dim}, mlp ${c.mlpDim}, ${c.layers} layers, ${c.heads} heads (${c.kvHeads} key/value) of ${c.headSize}, ` +
      `vocab ${c.vocabSize}, max sequence ${c.maxSeqLen}`,
    `${norm}; ${positions}`,
    `${attention.join(", ")}; ${c.mlp} MLP (${c.activation}); ${c.residual} residual` +
      `${c.postNorms ? " with post-norms" : ""}; biases: ${biases.length === 0 ? "none" : biases.join(", ")}`,
    `embedding scale ${+c.embeddingScale.toPrecision(6)}` +
      `${c.finalSoftcap === null ? "" : `, final soft-cap ${c.finalSoftcap}`}; ` +
      `classifier ${c.sharedClassifier ? "tied to the embedding" : "separate"}`,
  ];
}
