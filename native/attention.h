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
};

// qkv [rows, (heads + 2·kv_heads)·head_size]: per row the queries, keys, values,
// RoPE already applied; rows = Σ lengths. Each token attends to itself and the
// earlier tokens of its own sequence. out [rows, heads·head_size].
// Deterministic: every output element is computed by one thread, in a fixed order.
void causal_attention(const float *qkv, const int32_t *lengths, int64_t sequences, const AttentionShape &shape,
                      float *out);

// JS: causalAttention(qkv: Float32Array, lengths: Int32Array, heads, kvHeads, headSize) → Float32Array.
napi_value CausalAttention(napi_env env, napi_callback_info info);

}  // namespace cosae
