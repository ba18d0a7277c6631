// Causal multi-head attention with grouped key/value heads over packed
// sequences, the native form of src/transformer/causal-attention.ts.
#pragma once

#include <node_api.h>

#include <cstdint>

namespace cosae {

struct AttentionShape {
  int64_t heads;
  int64_t kv_heads;   // divides heads; query head h reads kv head h / (heads / kv_heads)
  int64_t head_size;
  float scale;     // multiplier of q·k (1/√head_size, or Gemma 2's query_pre_attn_scalar^-½)
  float softcap;   // scores → c·tanh(scores/c) before the softmax; 0 for none
  int64_t window;  // token t sees s only when t − s < window; 0 for no sliding window
};

// qkv [rows, (heads + 2·kv_heads)·head_size]: per row the queries, keys, values,
// RoPE already applied; rows = Σ lengths. Each token attends to itself and the
// earlier tokens of its own sequence (the last `window` of them with a sliding
// window). out [rows, heads·head_size].
// Deterministic: every output element is computed by one thread, in a fixed order.
void causal_attention(const float *qkv, const int32_t *lengths, int64_t sequences, const AttentionShape &shape,
                      float *out);

// JS: causalAttention(qkv: Float32Array, lengths: Int32Array, heads, kvHeads, headSize[, scale, softcap, window])
// → Float32Array; without the last three: scale 1/√headSize, no soft-capping, no window.
napi_value CausalAttention(napi_env env, napi_callback_info info);

}  // namespace cosae
