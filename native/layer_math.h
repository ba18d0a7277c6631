// The per-token arithmetic of a decoder block (norms, activations), the
// native form of src/transformer/layer-math.ts, split over threads by rows.
#pragma once

#include <node_api.h>

#include <cstdint>

namespace cosae {

// 0: none (bias only), 1: silu, 2: gelu with tanh, 3: exact gelu (erf).
enum class Activation : int { kNone = 0, kSilu = 1, kGeluTanh = 2, kGeluErf = 3 };

// In place: x[t, i] = act(x[t, i] + bias[i]); bias may be null.
void rows_activate(float *x, int64_t rows, int64_t width, const float *bias, Activation act);
// out[t, i] = act(gate_up[t, i]) · gate_up[t, hidden + i].
void gated_activate(const float *gate_up, int64_t rows, int64_t hidden, Activation act, float *out);
// out = RMSNorm or LayerNorm of each row (sums in double, as the JS code), times gain plus bias when given.
void normalize_rows(const float *x, int64_t rows, int64_t width, bool layer, double eps, const float *gain,
                    const float *bias, float *out);

// JS: rowsActivate(x, rows, width, bias | null, kind); gatedActivate(gateUp, rows, hidden, kind, out);
// normalizeRows(x, rows, width, layer, eps, gain | null, bias | null, out).
napi_value RowsActivate(napi_env env, napi_callback_info info);
napi_value GatedActivate(napi_env env, napi_callback_info info);
napi_value NormalizeRows(napi_env env, napi_callback_info info);

}  // namespace cosae
