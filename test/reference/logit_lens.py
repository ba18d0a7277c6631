#!/usr/bin/env python3
"""The logit lens of residual-stream directions, in float64 from the folder's
own weights: W_U (g ⊙ x) with g the final norm's gain (LayerNorm centres x
first and has gain ln_f/final_layer_norm.weight; Llama/Qwen's RMSNorm gain is
model.norm.weight, Gemma's is 1 + model.norm.weight), W_U the unembedding
(lm_head, embed_out, or the tied token embedding), then Gemma 2's final
soft-cap. The norm's 1/rms (and LayerNorm's bias) are left out: they do not
depend on the token, so the order of tokens is the one the model would give.

  python3 logit_lens.py FOLDER DIRECTIONS.npy OUT.npy     (directions [rows, d] → logits [rows, vocab])"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_forward import load_folder  # noqa: E402


def unembedding(config, w):
    """(gain, centre, W_U, final soft-cap) of the folder."""
    kind = config["model_type"]
    if kind == "gpt2":
        w = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in w.items()}
        return w["ln_f.weight"], True, w["wte.weight"], None
    if kind == "gpt_neox":
        head = w["gpt_neox.embed_in.weight"] if config.get("tie_word_embeddings") else w["embed_out.weight"]
        return w["gpt_neox.final_layer_norm.weight"], True, head, None
    head = w["lm_head.weight"] if "lm_head.weight" in w else w["model.embed_tokens.weight"]
    gain = w["model.norm.weight"]
    if kind == "gemma2":
        return 1.0 + gain, False, head, config.get("final_logit_softcapping")
    return gain, False, head, None


def logit_lens(config, weights, directions):
    gain, centre, head, cap = unembedding(config, weights)
    x = np.asarray(directions, dtype=np.float64)
    if centre:
        x = x - x.mean(-1, keepdims=True)
    logits = (x * gain) @ head.T
    return np.tanh(logits / cap) * cap if cap is not None else logits


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    folder, directions, out = sys.argv[1:]
    config, weights = load_folder(folder)
    np.save(out, logit_lens(config, weights, np.load(directions)))


if __name__ == "__main__":
    main()
