#!/usr/bin/env python3
"""An independent float64 forward pass of a Hugging Face folder, written from
the transformers modeling files (modeling_gpt2, modeling_gpt_neox,
modeling_gemma2, modeling_llama, modeling_qwen2), not from cosae's code.

  python3 reference_forward.py FOLDER TOKENS_JSON OUT_DIR [--edit HOOK,HOOK… | --edit-each HOOK,HOOK…]

TOKENS_JSON: [[id, …], …] (one list per sequence). Writes OUT_DIR/s{i}/NAME.npy
(float64, [tokens, width]) for the logits and every hook under its
TransformerLens name, plus OUT_DIR/index.json: {"sequences": [{"tokens": n,
"files": {NAME: "s0/NAME.npy"}}], "hooks": [names]}. --edit replaces each named
hook's value by 0.5·value + 0.3·|value| for everything downstream (what a cosae hook
that returns an array does; the spliced loss works so); --edit-each adds, for
each named hook, the logits with that hook alone edited (logits.edit.HOOK).
Needs only NumPy."""

import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_numpy import read_safetensors  # noqa: E402


def load_folder(folder):
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    index = os.path.join(folder, "model.safetensors.index.json")
    weights = {}
    if os.path.exists(index):
        with open(index, encoding="utf-8") as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    for name in files:
        weights.update(read_safetensors(os.path.join(folder, name)))
    return config, weights


# --- layer math -------------------------------------------------------------------------------------------

def layer_normalize(x, eps):
    """nn.LayerNorm before its gain and bias: (x − mean) / sqrt(var + eps)."""
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def rms_normalize(x, eps):
    """LlamaRMSNorm / Gemma2RMSNorm before the gain: x · rsqrt(mean x² + eps)."""
    return x / np.sqrt((x**2).mean(-1, keepdims=True) + eps)


def gelu_tanh(x):
    """gelu_new / gelu_pytorch_tanh."""
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def gelu_erf(x):
    """nn.GELU() (hidden_act "gelu")."""
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def silu(x):
    return x / (1.0 + np.exp(-x))


ACTIVATIONS = {"gelu_new": gelu_tanh, "gelu_pytorch_tanh": gelu_tanh, "gelu": gelu_erf, "silu": silu}


def rope_inv_freq(dim, theta, scaling):
    """_compute_default_rope_parameters, and _compute_llama3_parameters when rope_type is "llama3"."""
    inv_freq = 1.0 / (theta ** (np.arange(0, dim, 2, dtype=np.float64) / dim))
    if scaling is None:
        return inv_freq
    kind = scaling.get("rope_type", scaling.get("type"))
    if kind == "default":
        return inv_freq
    if kind != "llama3":
        raise SystemExit(f"reference: rope_scaling type {kind!r} not implemented")
    factor = scaling["factor"]
    low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
    old_context = scaling["original_max_position_embeddings"]
    low_wavelen, high_wavelen = old_context / low, old_context / high
    wavelen = 2 * math.pi / inv_freq
    scaled = np.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_context / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
    return np.where(medium, smoothed, scaled)


def apply_rotary(x, inv_freq):
    """rotate_half RoPE on the leading 2·len(inv_freq) dims of each head; x: [T, heads, hs]."""
    rot = 2 * len(inv_freq)
    t = x.shape[0]
    freqs = np.outer(np.arange(t, dtype=np.float64), inv_freq)
    emb = np.concatenate([freqs, freqs], -1)
    cos, sin = np.cos(emb)[:, None, :], np.sin(emb)[:, None, :]
    x_rot, x_pass = x[..., :rot], x[..., rot:]
    half = rot // 2
    rotated = np.concatenate([-x_rot[..., half:], x_rot[..., :half]], -1)
    return np.concatenate([x_rot * cos + rotated * sin, x_pass], -1)


def attention(q, k, v, scale, softcap=None, window=None):
    """Causal attention; q: [T, H, hs], k/v: [T, KV, hs] (repeat_kv: query head h reads kv head h // (H/KV))."""
    t, heads, hs = q.shape
    rep = heads // k.shape[1]
    k = np.repeat(k, rep, axis=1)
    v = np.repeat(v, rep, axis=1)
    scores = np.einsum("ihd,jhd->hij", q, k) * scale
    if softcap is not None:
        scores = np.tanh(scores / softcap) * softcap
    i = np.arange(t)[:, None]
    j = np.arange(t)[None, :]
    allowed = j <= i
    if window is not None:
        allowed &= (i - j) < window
    scores = np.where(allowed[None], scores, -np.inf)
    scores -= scores.max(-1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(-1, keepdims=True)
    return np.einsum("hij,jhd->ihd", p, v).reshape(t, heads * hs)


def rope_settings(c, theta_key="rope_theta", default_theta=10000.0):
    """(theta, scaling or None, partial rotary factor or None) from v4's fields or v5's rope_parameters."""
    rp = c.get("rope_parameters")
    if rp:
        kind = rp.get("rope_type", "default")
        return rp["rope_theta"], (None if kind == "default" else rp), rp.get("partial_rotary_factor")
    return c.get(theta_key, default_theta), c.get("rope_scaling"), None


# --- families ---------------------------------------------------------------------------------------------


class HookPoints:
    """Records each hook's value under its TransformerLens name; `edit` names hooks whose value is replaced
    by 0.5·value + 0.3·|value| for everything downstream (as a cosae hook that returns an array does)."""

    def __init__(self, edit=()):
        self.values = {}
        self.edit = set(edit)

    def __call__(self, name, value):
        self.values[name] = value
        return 0.5 * value + 0.3 * np.abs(value) if name in self.edit else value


def gpt2_forward(c, w, ids, hk):
    if "transformer.wte.weight" in w:
        w = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in w.items()}
    d, heads = c["n_embd"], c["n_head"]
    hs = d // heads
    eps = c["layer_norm_epsilon"]
    act = ACTIVATIONS[c["activation_function"]]
    t = len(ids)
    x = hk("hook_embed", w["wte.weight"][ids]) + hk("hook_pos_embed", w["wpe.weight"][:t])
    for layer in range(c["n_layer"]):
        p, b = f"h.{layer}.", f"blocks.{layer}."
        x = hk(b + "hook_resid_pre", x)
        h = hk(b + "ln1.hook_normalized", layer_normalize(x, eps)) * w[p + "ln_1.weight"] + w[p + "ln_1.bias"]
        qkv = h @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]  # Conv1D: x @ W[in, out] + b
        q, k, v = (qkv[:, i * d : (i + 1) * d].reshape(t, heads, hs) for i in range(3))
        # GPT2Attention: / sqrt(head size) if scale_attn_weights, / (layer + 1) if scale_attn_by_inverse_layer_idx.
        scale = 1.0 / math.sqrt(hs) if c.get("scale_attn_weights", True) else 1.0
        if c.get("scale_attn_by_inverse_layer_idx", False):
            scale /= layer + 1
        z = attention(q, k, v, scale)
        x = hk(b + "hook_resid_mid", x + hk(b + "hook_attn_out", z @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]))
        h = hk(b + "ln2.hook_normalized", layer_normalize(x, eps)) * w[p + "ln_2.weight"] + w[p + "ln_2.bias"]
        post = hk(b + "mlp.hook_post", act(h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"]))
        mlp_out = hk(b + "hook_mlp_out", post @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"])
        x = hk(b + "hook_resid_post", x + mlp_out)
    x = hk(f"blocks.{c['n_layer']}.hook_resid_pre", x)
    h = hk("ln_final.hook_normalized", layer_normalize(x, eps)) * w["ln_f.weight"] + w["ln_f.bias"]
    return h @ w["wte.weight"].T


def neox_forward(c, w, ids, hk):
    d, heads = c["hidden_size"], c["num_attention_heads"]
    hs = d // heads
    eps = c["layer_norm_eps"]
    act = ACTIVATIONS[c["hidden_act"]]
    theta, scaling, partial = rope_settings(c, "rotary_emb_base")
    rot = int(hs * (partial if partial is not None else c.get("rotary_pct", 1.0)))
    inv_freq = rope_inv_freq(rot, theta, scaling)
    parallel = c.get("use_parallel_residual", True)
    t = len(ids)
    x = hk("hook_embed", w["gpt_neox.embed_in.weight"][ids])
    for layer in range(c["num_hidden_layers"]):
        p, b = f"gpt_neox.layers.{layer}.", f"blocks.{layer}."

        def ln(name, value, which):
            normalized = hk(b + name, layer_normalize(value, eps))
            return normalized * w[p + which + ".weight"] + w[p + which + ".bias"]

        x = hk(b + "hook_resid_pre", x)
        h = ln("ln1.hook_normalized", x, "input_layernorm")
        qkv = h @ w[p + "attention.query_key_value.weight"].T
        if p + "attention.query_key_value.bias" in w:
            qkv = qkv + w[p + "attention.query_key_value.bias"]
        qkv = qkv.reshape(t, heads, 3 * hs)  # per head: q, k, v
        q, k, v = qkv[..., :hs], qkv[..., hs : 2 * hs], qkv[..., 2 * hs :]
        q, k = apply_rotary(q, inv_freq), apply_rotary(k, inv_freq)
        attn_out = attention(q, k, v, 1.0 / math.sqrt(hs)) @ w[p + "attention.dense.weight"].T
        if p + "attention.dense.bias" in w:
            attn_out = attn_out + w[p + "attention.dense.bias"]
        attn_out = hk(b + "hook_attn_out", attn_out)
        # Parallel: post_attention_layernorm reads the block's input; sequential: the residual after attention.
        mlp_in = x if parallel else hk(b + "hook_resid_mid", x + attn_out)
        h = ln("ln2.hook_normalized", mlp_in, "post_attention_layernorm")
        post = hk(b + "mlp.hook_post", act(h @ w[p + "mlp.dense_h_to_4h.weight"].T + w[p + "mlp.dense_h_to_4h.bias"]))
        mlp_out = hk(b + "hook_mlp_out", post @ w[p + "mlp.dense_4h_to_h.weight"].T + w[p + "mlp.dense_4h_to_h.bias"])
        x = hk(b + "hook_resid_post", x + attn_out + mlp_out if parallel else mlp_in + mlp_out)
    x = hk(f"blocks.{c['num_hidden_layers']}.hook_resid_pre", x)
    normalized = hk("ln_final.hook_normalized", layer_normalize(x, eps))
    h = normalized * w["gpt_neox.final_layer_norm.weight"] + w["gpt_neox.final_layer_norm.bias"]
    head = w["gpt_neox.embed_in.weight"] if c.get("tie_word_embeddings") else w["embed_out.weight"]
    return h @ head.T


def llama_like_forward(c, w, ids, hk):
    """LlamaForCausalLM, Qwen2ForCausalLM and Gemma2ForCausalLM."""
    gemma = c["model_type"] == "gemma2"
    if c["model_type"] == "qwen2" and c.get("use_sliding_window"):
        raise SystemExit("reference: Qwen2 use_sliding_window not implemented")
    d, heads = c["hidden_size"], c["num_attention_heads"]
    kv = c.get("num_key_value_heads") or heads
    hs = c.get("head_dim") or d // heads
    eps = c["rms_norm_eps"]
    act = ACTIVATIONS[c["hidden_activation"] if gemma else c["hidden_act"]]
    theta, scaling, _ = rope_settings(c)
    inv_freq = rope_inv_freq(hs, theta, scaling)
    scale = c["query_pre_attn_scalar"] ** -0.5 if gemma else 1.0 / math.sqrt(hs)
    softcap = c.get("attn_logit_softcapping") if gemma else None
    layer_types = c.get("layer_types") or [
        "sliding_attention" if gemma and layer % 2 == 0 else "full_attention"
        for layer in range(c["num_hidden_layers"])
    ]
    has_bias = c["model_type"] == "qwen2" or c.get("attention_bias", False)
    t = len(ids)
    x = w["model.embed_tokens.weight"][ids]
    if gemma:
        x = x * float(np.float32(math.sqrt(d)))  # the normalizer is a tensor of the hidden dtype (float32)
    x = hk("hook_embed", x)

    def norm(hook, weight, value):
        """RMSNorm: the gain w, or Gemma's (1 + w), after the hook on the normalized value."""
        gain = w[weight]
        return hk(hook, rms_normalize(value, eps)) * ((1.0 + gain) if gemma else gain)

    def linear(name, value):
        """q/k/v/o projections: biases for Qwen 2's q/k/v, and for Llama's attention_bias (q, k, v and o)."""
        out = value @ w[name + ".weight"].T
        return out + w[name + ".bias"] if has_bias and name + ".bias" in w else out

    def mlp_linear(name, value):
        """gate/up/down: biases with Llama's mlp_bias."""
        out = value @ w[name + ".weight"].T
        return out + w[name + ".bias"] if c.get("mlp_bias") else out

    for layer in range(c["num_hidden_layers"]):
        p, b = f"model.layers.{layer}.", f"blocks.{layer}."
        x = hk(b + "hook_resid_pre", x)
        h = norm(b + "ln1.hook_normalized", p + "input_layernorm.weight", x)
        q = apply_rotary(linear(p + "self_attn.q_proj", h).reshape(t, heads, hs), inv_freq)
        k = apply_rotary(linear(p + "self_attn.k_proj", h).reshape(t, kv, hs), inv_freq)
        v = linear(p + "self_attn.v_proj", h).reshape(t, kv, hs)
        window = c["sliding_window"] if layer_types[layer] == "sliding_attention" else None
        attn_out = linear(p + "self_attn.o_proj", attention(q, k, v, scale, softcap, window))
        if gemma:
            attn_out = norm(b + "ln1_post.hook_normalized", p + "post_attention_layernorm.weight", attn_out)
        x = hk(b + "hook_resid_mid", x + hk(b + "hook_attn_out", attn_out))
        ln2 = "pre_feedforward_layernorm" if gemma else "post_attention_layernorm"
        h = norm(b + "ln2.hook_normalized", p + ln2 + ".weight", x)
        post = hk(b + "mlp.hook_post", act(mlp_linear(p + "mlp.gate_proj", h)) * mlp_linear(p + "mlp.up_proj", h))
        mlp_out = mlp_linear(p + "mlp.down_proj", post)
        if gemma:
            mlp_out = norm(b + "ln2_post.hook_normalized", p + "post_feedforward_layernorm.weight", mlp_out)
        x = hk(b + "hook_resid_post", x + hk(b + "hook_mlp_out", mlp_out))
    x = hk(f"blocks.{c['num_hidden_layers']}.hook_resid_pre", x)
    h = norm("ln_final.hook_normalized", "model.norm.weight", x)
    head = w["lm_head.weight"] if "lm_head.weight" in w else w["model.embed_tokens.weight"]
    logits = h @ head.T
    cap = c.get("final_logit_softcapping") if gemma else None
    if cap is not None:
        logits = np.tanh(logits / cap) * cap
    return logits


FORWARDS = {
    "gpt2": gpt2_forward,
    "gpt_neox": neox_forward,
    "llama": llama_like_forward,
    "qwen2": llama_like_forward,
    "gemma2": llama_like_forward,
}


def forward(config, weights, ids, edit=()):
    """(logits [T, vocab], {hook name: [T, width]}) in float64; hooks named in `edit` are replaced by
    0.5·value + 0.3·|value| (their recorded value is the one before the edit)."""
    hooks = HookPoints(edit)
    logits = FORWARDS[config["model_type"]](config, weights, np.asarray(ids, dtype=np.int64), hooks)
    return logits, hooks.values


def main():
    args = sys.argv[1:]
    edit, each = [], []
    if len(args) == 5 and args[3] in ("--edit", "--edit-each"):
        names = args.pop(4).split(",")
        if args.pop(3) == "--edit":
            edit = names
        else:
            each = names
    if len(args) != 3:
        raise SystemExit(__doc__)
    folder, tokens_path, out_dir = args
    config, weights = load_folder(folder)
    with open(tokens_path, encoding="utf-8") as f:
        sequences = json.load(f)
    os.makedirs(out_dir, exist_ok=True)
    index = {"sequences": [], "hooks": []}
    for s, ids in enumerate(sequences):
        logits, hooks = forward(config, weights, ids, edit)
        os.makedirs(os.path.join(out_dir, f"s{s}"), exist_ok=True)
        files = {}
        for name, value in [("logits", logits)] + list(hooks.items()):
            rel = f"s{s}/{name}.npy"
            np.save(os.path.join(out_dir, rel), np.ascontiguousarray(value, dtype=np.float64))
            files[name] = rel
        for hook in each:  # one more forward per hook, that hook alone edited: its logits
            rel = f"s{s}/logits.edit.{hook}.npy"
            np.save(os.path.join(out_dir, rel), forward(config, weights, ids, [hook])[0])
            files[f"logits.edit.{hook}"] = rel
        index["sequences"].append({"tokens": len(ids), "files": files})
        index["hooks"] = list(hooks)
    with open(os.path.join(out_dir, "index.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=1)


if __name__ == "__main__":
    main()
