#!/usr/bin/env python3
"""Writes a tiny random-weight model as a genuine Hugging Face folder of one
family (config.json with the fields transformers writes for that config
class, modelled on the published configs; safetensors with the tensor names
the real checkpoints hold; a small tokenizer of the family's own kind).

  python3 make_model_fixture.py FAMILY OUT_DIR [--seed N] [--dtype F32|F16|BF16] [--shards N]
      [--layout saved|hub] [--transformers 4|5] [--set key=json ...]

FAMILY: gpt2 | gpt_neox | gemma2 | llama | qwen2. --set overrides a config.json
field (JSON value; `rope_scaling=null`, `use_parallel_residual=false`,
`tie_word_embeddings=false`, …); shapes follow the overridden config.
--layout hub writes what the published checkpoints hold beyond what
save_pretrained writes today: GPT-2 without the "transformer." prefix plus the
h.N.attn.bias mask buffers; Pythia's attention.bias/masked_bias/rotary inv_freq.
--transformers 5 writes config.json as transformers v5 does (rope_parameters,
layer_types, dtype); --set applies to the v4 form first. Needs only Python 3 and NumPy."""

import argparse
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_tokenizers import TOKENIZERS  # noqa: E402
from safetensors_numpy import write_safetensors  # noqa: E402

MERGES = 220
TORCH_DTYPE = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}


def round_up(n, multiple):
    return (n + multiple - 1) // multiple * multiple


def gpt2_config(tok):
    return {
        "activation_function": "gelu_new",
        "architectures": ["GPT2LMHeadModel"],
        "attn_pdrop": 0.1,
        "bos_token_id": tok["bos"],
        "embd_pdrop": 0.1,
        "eos_token_id": tok["eos"],
        "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05,
        "model_type": "gpt2",
        "n_ctx": 256,
        "n_embd": 48,
        "n_head": 4,
        "n_inner": None,
        "n_layer": 2,
        "n_positions": 256,
        "reorder_and_upcast_attn": False,
        "resid_pdrop": 0.1,
        "scale_attn_by_inverse_layer_idx": False,
        "scale_attn_weights": True,
        "summary_activation": None,
        "summary_first_dropout": 0.1,
        "summary_proj_to_labels": True,
        "summary_type": "cls_index",
        "summary_use_proj": True,
        "task_specific_params": {"text-generation": {"do_sample": True, "max_length": 50}},
        "use_cache": True,
        "vocab_size": tok["size"],
    }


def neox_config(tok):
    return {
        "architectures": ["GPTNeoXForCausalLM"],
        "attention_bias": True,
        "attention_dropout": 0.0,
        "bos_token_id": tok["bos"],
        "classifier_dropout": 0.1,
        "eos_token_id": tok["eos"],
        "hidden_act": "gelu",
        "hidden_dropout": 0.0,
        "hidden_size": 64,
        "initializer_range": 0.02,
        "intermediate_size": 256,
        "layer_norm_eps": 1e-05,
        "max_position_embeddings": 256,
        "model_type": "gpt_neox",
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "rope_scaling": None,
        "rotary_emb_base": 10000,
        "rotary_pct": 0.25,
        "tie_word_embeddings": False,
        "use_cache": True,
        "use_parallel_residual": True,
        "vocab_size": round_up(tok["size"], 64),  # Pythia pads 50277 to 50304
    }


def gemma2_config(tok):
    return {
        "architectures": ["Gemma2ForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "attn_logit_softcapping": 2.5,
        "bos_token_id": tok["bos"],
        "cache_implementation": "hybrid",
        "eos_token_id": tok["eos"],
        "final_logit_softcapping": 6.0,
        "head_dim": 16,
        "hidden_act": "gelu_pytorch_tanh",
        "hidden_activation": "gelu_pytorch_tanh",
        "hidden_size": 48,
        "initializer_range": 0.02,
        "intermediate_size": 128,
        "max_position_embeddings": 256,
        "model_type": "gemma2",
        "num_attention_heads": 4,
        "num_hidden_layers": 3,
        "num_key_value_heads": 2,
        "pad_token_id": 0,
        "query_pre_attn_scalar": 24,
        "rms_norm_eps": 1e-06,
        "rope_theta": 10000.0,
        "sliding_window": 4,
        "use_cache": True,
        "vocab_size": tok["size"],
    }


def llama_config(tok):
    # Llama 3.2 shrunk; rope_theta and original_max_position_embeddings are scaled down with the head so the
    # high-, medium- and low-frequency bands of the llama3 scaling all occur among the 8 frequencies of head_dim 16.
    return {
        "architectures": ["LlamaForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": tok["bos"],
        "eos_token_id": tok["eos"],
        "head_dim": 16,
        "hidden_act": "silu",
        "hidden_size": 64,
        "initializer_range": 0.02,
        "intermediate_size": 128,
        "max_position_embeddings": 2048,
        "mlp_bias": False,
        "model_type": "llama",
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "num_key_value_heads": 2,
        "pretraining_tp": 1,
        "rms_norm_eps": 1e-05,
        "rope_scaling": {
            "factor": 8.0,
            "high_freq_factor": 4.0,
            "low_freq_factor": 1.0,
            "original_max_position_embeddings": 256,
            "rope_type": "llama3",
        },
        "rope_theta": 10000.0,
        "tie_word_embeddings": True,
        "use_cache": True,
        "vocab_size": tok["size"],
    }


def qwen2_config(tok):
    return {
        "architectures": ["Qwen2ForCausalLM"],
        "attention_dropout": 0.0,
        "bos_token_id": tok["bos"],
        "eos_token_id": tok["eos"],
        "hidden_act": "silu",
        "hidden_size": 64,
        "initializer_range": 0.02,
        "intermediate_size": 160,
        "max_position_embeddings": 1024,
        "max_window_layers": 2,
        "model_type": "qwen2",
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "num_key_value_heads": 2,
        "rms_norm_eps": 1e-06,
        "rope_scaling": None,
        "rope_theta": 1000000.0,
        "sliding_window": 1024,
        "tie_word_embeddings": True,
        "use_cache": True,
        "use_mrope": False,
        "use_sliding_window": False,
        "vocab_size": round_up(tok["size"], 64),  # Qwen 2.5 pads 151665 to 151936
    }


CONFIGS = {
    "gpt2": gpt2_config,
    "gpt_neox": neox_config,
    "gemma2": gemma2_config,
    "llama": llama_config,
    "qwen2": qwen2_config,
}


class Init:
    """Seeded draws in the order tensors are named (so a shape change elsewhere leaves the rest as they were)."""

    def __init__(self, seed):
        self.seed = seed

    def rng(self, name):
        return np.random.default_rng([self.seed] + [ord(c) for c in name])

    def matrix(self, name, shape, fan_in, gain=1.0):
        return self.rng(name).normal(0.0, gain / math.sqrt(fan_in), size=shape)

    def embedding(self, name, shape):
        return self.rng(name).normal(0.0, 1.0, size=shape)

    def bias(self, name, shape):
        return self.rng(name).normal(0.0, 0.1, size=shape)

    def gain(self, name, shape, offset=1.0):
        return offset + self.rng(name).normal(0.0, 0.1, size=shape)


def gpt2_tensors(c, init, layout):
    d, n_inner = c["n_embd"], c["n_inner"] or 4 * c["n_embd"]
    prefix = "" if layout == "hub" else "transformer."
    t = {
        "wte.weight": init.embedding("wte", (c["vocab_size"], d)),
        "wpe.weight": init.embedding("wpe", (c["n_positions"], d)) * 0.3,
        "ln_f.weight": init.gain("ln_f.w", (d,)),
        "ln_f.bias": init.bias("ln_f.b", (d,)),
    }
    for i in range(c["n_layer"]):
        p = f"h.{i}."
        # Conv1D stores [in, out]: y = x @ W + b.
        t[p + "ln_1.weight"] = init.gain(p + "ln_1.w", (d,))
        t[p + "ln_1.bias"] = init.bias(p + "ln_1.b", (d,))
        t[p + "attn.c_attn.weight"] = init.matrix(p + "c_attn.w", (d, 3 * d), d, 1.5)
        t[p + "attn.c_attn.bias"] = init.bias(p + "c_attn.b", (3 * d,))
        t[p + "attn.c_proj.weight"] = init.matrix(p + "attn.c_proj.w", (d, d), d)
        t[p + "attn.c_proj.bias"] = init.bias(p + "attn.c_proj.b", (d,))
        t[p + "ln_2.weight"] = init.gain(p + "ln_2.w", (d,))
        t[p + "ln_2.bias"] = init.bias(p + "ln_2.b", (d,))
        t[p + "mlp.c_fc.weight"] = init.matrix(p + "c_fc.w", (d, n_inner), d)
        t[p + "mlp.c_fc.bias"] = init.bias(p + "c_fc.b", (n_inner,))
        t[p + "mlp.c_proj.weight"] = init.matrix(p + "mlp.c_proj.w", (n_inner, d), n_inner)
        t[p + "mlp.c_proj.bias"] = init.bias(p + "mlp.c_proj.b", (d,))
    out = {prefix + k: v for k, v in t.items()}
    buffers = {}
    if layout == "hub":
        n = c["n_positions"]
        for i in range(c["n_layer"]):
            buffers[f"h.{i}.attn.bias"] = ("F32", np.tril(np.ones((n, n))).reshape(1, 1, n, n))
    return out, buffers


def neox_tensors(c, init, layout):
    d, inner, heads = c["hidden_size"], c["intermediate_size"], c["num_attention_heads"]
    t = {
        "gpt_neox.embed_in.weight": init.embedding("embed_in", (c["vocab_size"], d)),
        "gpt_neox.final_layer_norm.weight": init.gain("final.w", (d,)),
        "gpt_neox.final_layer_norm.bias": init.bias("final.b", (d,)),
    }
    if not c.get("tie_word_embeddings", False):
        t["embed_out.weight"] = init.matrix("embed_out", (c["vocab_size"], d), d, 3.0)
    for i in range(c["num_hidden_layers"]):
        p = f"gpt_neox.layers.{i}."
        t[p + "input_layernorm.weight"] = init.gain(p + "ln1.w", (d,))
        t[p + "input_layernorm.bias"] = init.bias(p + "ln1.b", (d,))
        t[p + "post_attention_layernorm.weight"] = init.gain(p + "ln2.w", (d,))
        t[p + "post_attention_layernorm.bias"] = init.bias(p + "ln2.b", (d,))
        # Rows [3·d, d] in NeoX's per-head layout: head h owns rows h·3·hs … (q, then k, then v).
        t[p + "attention.query_key_value.weight"] = init.matrix(p + "qkv.w", (3 * d, d), d, 1.5)
        if c.get("attention_bias", True):
            t[p + "attention.query_key_value.bias"] = init.bias(p + "qkv.b", (3 * d,))
        t[p + "attention.dense.weight"] = init.matrix(p + "dense.w", (d, d), d)
        if c.get("attention_bias", True):
            t[p + "attention.dense.bias"] = init.bias(p + "dense.b", (d,))
        t[p + "mlp.dense_h_to_4h.weight"] = init.matrix(p + "h4h.w", (inner, d), d)
        t[p + "mlp.dense_h_to_4h.bias"] = init.bias(p + "h4h.b", (inner,))
        t[p + "mlp.dense_4h_to_h.weight"] = init.matrix(p + "4hh.w", (d, inner), inner)
        t[p + "mlp.dense_4h_to_h.bias"] = init.bias(p + "4hh.b", (d,))
    buffers = {}
    if layout == "hub":
        n, hs = c["max_position_embeddings"], d // heads
        rot = int(hs * c["rotary_pct"])
        inv = 1.0 / (c["rotary_emb_base"] ** (np.arange(0, rot, 2) / rot))
        for i in range(c["num_hidden_layers"]):
            p = f"gpt_neox.layers.{i}.attention."
            buffers[p + "bias"] = ("BOOL", np.tril(np.ones((n, n), dtype=bool)).reshape(1, 1, n, n))
            buffers[p + "masked_bias"] = ("F32", np.array(-1e9))
            buffers[p + "rotary_emb.inv_freq"] = ("F32", inv)
    return t, buffers


def llama_like_tensors(c, init, *, qkv_bias, gemma):
    d, inner = c["hidden_size"], c["intermediate_size"]
    heads, kv = c["num_attention_heads"], c["num_key_value_heads"]
    hs = c.get("head_dim") or d // heads
    # Gemma's norms multiply by (1 + w): gains near 0 there, near 1 elsewhere.
    offset = 0.0 if gemma else 1.0
    t = {
        "model.embed_tokens.weight": init.embedding("embed", (c["vocab_size"], d)) * (0.3 if gemma else 1.0),
        "model.norm.weight": init.gain("norm", (d,), offset),
    }
    if not c.get("tie_word_embeddings", True):
        t["lm_head.weight"] = init.matrix("lm_head", (c["vocab_size"], d), d, 3.0)
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        t[p + "input_layernorm.weight"] = init.gain(p + "in.w", (d,), offset)
        t[p + "post_attention_layernorm.weight"] = init.gain(p + "post.w", (d,), offset)
        if gemma:
            t[p + "pre_feedforward_layernorm.weight"] = init.gain(p + "preff.w", (d,), offset)
            t[p + "post_feedforward_layernorm.weight"] = init.gain(p + "postff.w", (d,), offset)
        t[p + "self_attn.q_proj.weight"] = init.matrix(p + "q.w", (heads * hs, d), d, 1.5)
        t[p + "self_attn.k_proj.weight"] = init.matrix(p + "k.w", (kv * hs, d), d, 1.5)
        t[p + "self_attn.v_proj.weight"] = init.matrix(p + "v.w", (kv * hs, d), d)
        if qkv_bias:
            t[p + "self_attn.q_proj.bias"] = init.bias(p + "q.b", (heads * hs,))
            t[p + "self_attn.k_proj.bias"] = init.bias(p + "k.b", (kv * hs,))
            t[p + "self_attn.v_proj.bias"] = init.bias(p + "v.b", (kv * hs,))
        t[p + "self_attn.o_proj.weight"] = init.matrix(p + "o.w", (d, heads * hs), heads * hs)
        if c.get("attention_bias"):  # Llama's and Gemma's attention_bias covers o_proj too (Qwen's q/k/v only)
            t[p + "self_attn.o_proj.bias"] = init.bias(p + "o.b", (d,))
        if c.get("mlp_bias"):
            t[p + "mlp.gate_proj.bias"] = init.bias(p + "gate.b", (inner,))
            t[p + "mlp.up_proj.bias"] = init.bias(p + "up.b", (inner,))
            t[p + "mlp.down_proj.bias"] = init.bias(p + "down.b", (d,))
        t[p + "mlp.gate_proj.weight"] = init.matrix(p + "gate.w", (inner, d), d)
        t[p + "mlp.up_proj.weight"] = init.matrix(p + "up.w", (inner, d), d)
        t[p + "mlp.down_proj.weight"] = init.matrix(p + "down.w", (d, inner), inner)
    return t, {}


def as_transformers_v5(family, config):
    """config.json as transformers v5 writes it: rope_parameters instead of rope_theta/rope_scaling (and NeoX's
    rotary_emb_base/rotary_pct), layer_types for Gemma 2 and Qwen 2, dtype instead of torch_dtype."""
    c = dict(config)
    if family == "gpt_neox":
        rope = {"rope_type": "default", "rope_theta": c.pop("rotary_emb_base"), "partial_rotary_factor": c.pop("rotary_pct")}
        c.pop("rope_scaling", None)
        c["rope_parameters"] = rope
    elif family != "gpt2":
        scaling = c.pop("rope_scaling", None) or {"rope_type": "default"}
        c["rope_parameters"] = {**scaling, "rope_theta": c.pop("rope_theta")}
    if family == "gemma2":
        c.pop("hidden_act", None)
        c.pop("cache_implementation", None)
        c["layer_types"] = [
            "sliding_attention" if (i + 1) % 2 else "full_attention" for i in range(c["num_hidden_layers"])
        ]
        c["use_bidirectional_attention"] = None
    if family == "qwen2":
        c["layer_types"] = ["full_attention"] * c["num_hidden_layers"]
    c["dtype"] = c.pop("torch_dtype")
    c["transformers_version"] = "5.0.0"
    return c


def tensors_of(family, c, init, layout):
    if family == "gpt2":
        return gpt2_tensors(c, init, layout)
    if family == "gpt_neox":
        return neox_tensors(c, init, layout)
    if family == "gemma2":
        return llama_like_tensors(c, init, qkv_bias=c.get("attention_bias", False), gemma=True)
    if family == "llama":
        return llama_like_tensors(c, init, qkv_bias=c.get("attention_bias", False), gemma=False)
    if family == "qwen2":
        return llama_like_tensors(c, init, qkv_bias=True, gemma=False)
    raise SystemExit(f"unknown family {family}; expected one of {', '.join(CONFIGS)}")


def shrink_padding_rows(tensors, tokens, vocab_size):
    """Rows past the tokenizer (Pythia's and Qwen's padding to a round vocab_size) were never trained in the
    real checkpoints and stay near their small initial values: the same here, so they do not dominate logits."""
    if vocab_size <= tokens:
        return
    for name, value in tensors.items():
        if value.ndim == 2 and value.shape[0] == vocab_size and "wpe" not in name:
            value[tokens:] *= 0.02


def write_weights(out_dir, tensors, buffers, dtype, shards):
    entries = [(name, dtype, tensors[name]) for name in sorted(tensors)]
    entries += [(name, buffers[name][0], buffers[name][1]) for name in sorted(buffers)]
    if shards <= 1:
        write_safetensors(os.path.join(out_dir, "model.safetensors"), entries)
        return
    weight_map, total = {}, 0
    per = math.ceil(len(entries) / shards)
    for s in range(shards):
        name = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        part = entries[s * per : (s + 1) * per]
        total += write_safetensors(os.path.join(out_dir, name), part)
        for tensor_name, _, _ in part:
            weight_map[tensor_name] = name
    with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.write("\n")


def make_fixture(family, out_dir, seed=0, dtype="F32", shards=1, layout="saved", overrides=None, transformers=4):
    if family not in CONFIGS:
        raise SystemExit(f"unknown family {family}; expected one of {', '.join(CONFIGS)}")
    files, merges_txt, tok = TOKENIZERS[family](MERGES)
    config = CONFIGS[family](tok)
    for key, value in (overrides or {}).items():
        config[key] = value
    config["torch_dtype"] = TORCH_DTYPE[dtype]
    config["transformers_version"] = "4.44.2"
    # Shapes come from the v4 form (the v5 form holds the same values under other names).
    tensors, buffers = tensors_of(family, config, Init(seed), layout)
    shrink_padding_rows(tensors, tok["size"], config["vocab_size"])
    if transformers == 5:
        config = as_transformers_v5(family, config)
    config = dict(sorted(config.items()))
    os.makedirs(out_dir, exist_ok=True)
    write_json(os.path.join(out_dir, "config.json"), config)
    gen = {"_from_model_config": True, "bos_token_id": config["bos_token_id"], "eos_token_id": config["eos_token_id"]}
    write_json(os.path.join(out_dir, "generation_config.json"), {**gen, "transformers_version": config["transformers_version"]})
    for name, value in files.items():
        write_json(os.path.join(out_dir, name), value)
    if merges_txt is not None:
        with open(os.path.join(out_dir, "merges.txt"), "w", encoding="utf-8") as f:
            f.write(merges_txt)
    write_weights(out_dir, tensors, buffers, dtype, shards)
    return config


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("family", choices=sorted(CONFIGS))
    parser.add_argument("out_dir")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dtype", type=str.upper, choices=["F32", "F16", "BF16"], default="F32")
    parser.add_argument("--shards", type=int, default=1)
    parser.add_argument("--layout", choices=["saved", "hub"], default="saved")
    parser.add_argument("--transformers", type=int, choices=[4, 5], default=4, help="config.json as this major version writes it")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help="override a config.json field")
    args = parser.parse_args()
    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value
    make_fixture(args.family, args.out_dir, args.seed, args.dtype, args.shards, args.layout, overrides, args.transformers)


if __name__ == "__main__":
    main()
