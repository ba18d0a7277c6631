// Norms and activations of a decoder block, vectorised (AVX-512) and split
// over threads by rows. Norms sum in double like the JS code, so RMSNorm is
// bitwise the JS result; silu and gelu-tanh use the float32 exp_approx (≈1e-7
// relative), exact gelu the double std::erfc.
#include "layer_math.h"

#include <cmath>
#include <string>

#include "fast_exp.h"
#include "parallel.h"

namespace cosae {
namespace {

// Below this many elements per thread, extra threads cost more than they save.
constexpr int64_t kGrain = 1 << 16;
constexpr float kTwoSqrt2OverPi = 1.5957691216057308f;  // 2·√(2/π)

// silu(x) = x / (1 + e^−x); gelu_tanh(x) = x / (1 + e^{−2u}), u = √(2/π)(x + 0.044715x³).
inline float activate(float x, Activation act) {
  switch (act) {
    case Activation::kSilu:
      return x / (1.0f + exp_approx(-x));
    case Activation::kGeluTanh:
      return x / (1.0f + exp_approx(-kTwoSqrt2OverPi * (x + 0.044715f * x * x * x)));
    case Activation::kGeluErf:
      return static_cast<float>(0.5 * x * std::erfc(-x * 0.70710678118654752440));
    default:
      return x;
  }
}

#ifdef __AVX512F__
inline __m512 activate(__m512 x, Activation act) {
  const __m512 one = _mm512_set1_ps(1.0f);
  if (act == Activation::kSilu) {
    return _mm512_div_ps(x, _mm512_add_ps(one, exp_approx(_mm512_sub_ps(_mm512_setzero_ps(), x))));
  }
  // kGeluTanh (kGeluErf takes the scalar path).
  const __m512 x3 = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
  const __m512 u = _mm512_add_ps(x, _mm512_mul_ps(_mm512_set1_ps(0.044715f), x3));
  return _mm512_div_ps(x, _mm512_add_ps(one, exp_approx(_mm512_mul_ps(_mm512_set1_ps(-kTwoSqrt2OverPi), u))));
}
#endif

// out[i] = act(in[i] + bias[i]) for i < n (bias may be null; in may be out).
void activate_span(const float *in, const float *bias, int64_t n, Activation act, float *out) {
  int64_t i = 0;
#ifdef __AVX512F__
  if (act == Activation::kNone || act == Activation::kSilu || act == Activation::kGeluTanh) {
    for (; i + 16 <= n; i += 16) {
      __m512 v = _mm512_loadu_ps(in + i);
      if (bias != nullptr) v = _mm512_add_ps(v, _mm512_loadu_ps(bias + i));
      _mm512_storeu_ps(out + i, act == Activation::kNone ? v : activate(v, act));
    }
  }
#endif
  for (; i < n; i++) out[i] = activate(bias != nullptr ? in[i] + bias[i] : in[i], act);
}

}  // namespace

void rows_activate(float *x, int64_t rows, int64_t width, const float *bias, Activation act) {
  parallel_for(rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(width, 1)), [&](int, int64_t r0, int64_t r1) {
    for (int64_t t = r0; t < r1; t++) activate_span(x + t * width, bias, width, act, x + t * width);
  });
}

void gated_activate(const float *gate_up, int64_t rows, int64_t hidden, Activation act, float *out) {
  parallel_for(rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(hidden, 1)), [&](int, int64_t r0, int64_t r1) {
    for (int64_t t = r0; t < r1; t++) {
      const float *g = gate_up + t * 2 * hidden;
      float *o = out + t * hidden;
      activate_span(g, nullptr, hidden, act, o);
      for (int64_t i = 0; i < hidden; i++) o[i] *= g[hidden + i];
    }
  });
}

void normalize_rows(const float *x, int64_t rows, int64_t width, bool layer, double eps, const float *gain,
                    const float *bias, float *out) {
  parallel_for(rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(width, 1)), [&](int, int64_t r0, int64_t r1) {
    for (int64_t t = r0; t < r1; t++) {
      const float *xr = x + t * width;
      float *o = out + t * width;
      double mean = 0;
      if (layer) {
        double sum = 0;
        for (int64_t i = 0; i < width; i++) sum += xr[i];
        mean = sum / static_cast<double>(width);
      }
      double ss = 0;
      for (int64_t i = 0; i < width; i++) {
        const double c = static_cast<double>(xr[i]) - mean;
        ss += c * c;
      }
      const double inv = 1.0 / std::sqrt(ss / static_cast<double>(width) + eps);
      for (int64_t i = 0; i < width; i++) {
        // The normalized value rounds to float32 first, as the hook sees it; then gain and bias.
        const float n = static_cast<float>((static_cast<double>(xr[i]) - mean) * inv);
        if (gain == nullptr) o[i] = n;
        else if (bias == nullptr) o[i] = n * gain[i];
        else o[i] = static_cast<float>(static_cast<double>(n) * gain[i] + bias[i]);
      }
    }
  });
}

// --- N-API -------------------------------------------------------------------------

namespace {

struct ArgumentError {
  std::string message;
};

void require(bool ok, const std::string &message) {
  if (!ok) throw ArgumentError{message};
}

// A Float32Array argument (or null when `nullable`), with its length.
float *floats(napi_env env, napi_value v, const char *name, size_t *length, bool nullable = false) {
  napi_valuetype kind;
  napi_typeof(env, v, &kind);
  if (nullable && kind == napi_null) {
    *length = 0;
    return nullptr;
  }
  bool is = false;
  napi_is_typedarray(env, v, &is);
  require(is, std::string(name) + " must be a Float32Array");
  napi_typedarray_type type;
  void *data;
  napi_get_typedarray_info(env, v, &type, length, &data, nullptr, nullptr);
  require(type == napi_float32_array, std::string(name) + " must be a Float32Array");
  return static_cast<float *>(data);
}

int64_t count(napi_env env, napi_value v, const char *name) {
  double x = 0;
  require(napi_get_value_double(env, v, &x) == napi_ok && x >= 0 && x <= 1e12 && x == std::floor(x),
          std::string(name) + " must be a non-negative integer");
  return static_cast<int64_t>(x);
}

Activation activation(napi_env env, napi_value v) {
  const int64_t kind = count(env, v, "kind");
  require(kind <= 3, "kind must be 0 (none), 1 (silu), 2 (gelu tanh) or 3 (gelu erf)");
  return static_cast<Activation>(kind);
}

template <size_t N>
void arguments(napi_env env, napi_callback_info info, napi_value (&argv)[N], const char *signature) {
  size_t argc = N;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  require(argc == N, std::string(signature) + " takes " + std::to_string(N) + " arguments");
}

napi_value guarded(napi_env env, const std::function<void()> &body) {
  try {
    body();
  } catch (const ArgumentError &e) {
    napi_throw_range_error(env, nullptr, e.message.c_str());
  } catch (const std::exception &e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

}  // namespace

napi_value RowsActivate(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value argv[5];
    arguments(env, info, argv, "rowsActivate(x, rows, width, bias, kind)");
    size_t n = 0, nb = 0;
    float *x = floats(env, argv[0], "x", &n);
    const int64_t rows = count(env, argv[1], "rows"), width = count(env, argv[2], "width");
    const float *bias = floats(env, argv[3], "bias", &nb, true);
    require(static_cast<int64_t>(n) >= rows * width, "x must hold rows × width values");
    require(bias == nullptr || static_cast<int64_t>(nb) == width, "bias must hold width values");
    rows_activate(x, rows, width, bias, activation(env, argv[4]));
  });
}

napi_value GatedActivate(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value argv[5];
    arguments(env, info, argv, "gatedActivate(gateUp, rows, hidden, kind, out)");
    size_t n = 0, no = 0;
    const float *gate_up = floats(env, argv[0], "gateUp", &n);
    const int64_t rows = count(env, argv[1], "rows"), hidden = count(env, argv[2], "hidden");
    const Activation act = activation(env, argv[3]);
    float *out = floats(env, argv[4], "out", &no);
    require(static_cast<int64_t>(n) >= rows * 2 * hidden, "gateUp must hold rows × 2·hidden values");
    require(static_cast<int64_t>(no) >= rows * hidden, "out must hold rows × hidden values");
    gated_activate(gate_up, rows, hidden, act, out);
  });
}

napi_value NormalizeRows(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value argv[8];
    arguments(env, info, argv, "normalizeRows(x, rows, width, layer, eps, gain, bias, out)");
    size_t n = 0, ng = 0, nb = 0, no = 0;
    const float *x = floats(env, argv[0], "x", &n);
    const int64_t rows = count(env, argv[1], "rows"), width = count(env, argv[2], "width");
    bool layer = false;
    require(napi_get_value_bool(env, argv[3], &layer) == napi_ok, "layer must be a boolean");
    double eps = 0;
    require(napi_get_value_double(env, argv[4], &eps) == napi_ok && eps > 0, "eps must be a positive number");
    const float *gain = floats(env, argv[5], "gain", &ng, true);
    const float *bias = floats(env, argv[6], "bias", &nb, true);
    float *out = floats(env, argv[7], "out", &no);
    require(static_cast<int64_t>(n) >= rows * width && static_cast<int64_t>(no) >= rows * width,
            "x and out must hold rows × width values");
    require(gain == nullptr || static_cast<int64_t>(ng) == width, "gain must hold width values");
    require(bias == nullptr || (gain != nullptr && static_cast<int64_t>(nb) == width),
            "bias must hold width values, with a gain");
    normalize_rows(x, rows, width, layer, eps, gain, bias, out);
  });
}

}  // namespace cosae
