// N-API bindings: typed arrays in, typed arrays out. Every function checks the
// array types and lengths it relies on and throws a TypeError/RangeError rather
// than reading out of bounds. The JS side is src/kernels/native.ts.
#include <node_api.h>

#include <cstring>
#include <string>

#include "attention.h"
#include "gemm.h"
#include "kernels.h"
#include "layer_math.h"
#include "parallel.h"

namespace cosae {
namespace {

struct Error {
  std::string message;
};

void check(bool ok, const std::string &message) {
  if (!ok) throw Error{message};
}
// For literal messages: the std::string overload would build (and free) a string on every
// call, and the validation loops below check every entry of the codes.
void check(bool ok, const char *message) {
  if (!ok) throw Error{message};
}

struct Args {
  napi_env env;
  napi_value argv[32];
  size_t argc = 32;
  Args(napi_env e, napi_callback_info info) : env(e) { napi_get_cb_info(e, info, &argc, argv, nullptr, nullptr); }

  template <typename T>
  T *array(size_t i, napi_typedarray_type want, int64_t min_length, const char *name) {
    check(i < argc, std::string("missing argument ") + name);
    bool is = false;
    napi_is_typedarray(env, argv[i], &is);
    check(is, std::string(name) + " must be a typed array");
    napi_typedarray_type type;
    size_t length;
    void *data;
    napi_get_typedarray_info(env, argv[i], &type, &length, &data, nullptr, nullptr);
    check(type == want, std::string(name) + " has the wrong element type");
    check(static_cast<int64_t>(length) >= min_length, std::string(name) + " is too short");
    return static_cast<T *>(data);
  }
  float *f32(size_t i, int64_t n, const char *name) { return array<float>(i, napi_float32_array, n, name); }
  double *f64(size_t i, int64_t n, const char *name) { return array<double>(i, napi_float64_array, n, name); }
  int32_t *i32(size_t i, int64_t n, const char *name) { return array<int32_t>(i, napi_int32_array, n, name); }
  size_t length(size_t i) {
    size_t length = 0;
    napi_get_typedarray_info(env, argv[i], nullptr, &length, nullptr, nullptr, nullptr);
    return length;
  }
  double number(size_t i, const char *name) {
    check(i < argc, std::string("missing argument ") + name);
    double v;
    check(napi_get_value_double(env, argv[i], &v) == napi_ok, std::string(name) + " must be a number");
    return v;
  }
  int64_t count(size_t i, const char *name) {
    const double v = number(i, name);
    check(v >= 0 && v == static_cast<double>(static_cast<int64_t>(v)), std::string(name) + " must be a count");
    return static_cast<int64_t>(v);
  }
};

template <typename T>
napi_value typed(napi_env env, const std::vector<T> &v, napi_typedarray_type type) {
  void *data;
  napi_value buffer, array;
  napi_create_arraybuffer(env, v.size() * sizeof(T), &data, &buffer);
  if (!v.empty()) std::memcpy(data, v.data(), v.size() * sizeof(T));
  napi_create_typedarray(env, type, v.size(), buffer, 0, &array);
  return array;
}

napi_value sparse_object(napi_env env, const Sparse &s) {
  napi_value out;
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "rowStart", typed(env, s.row_start, napi_int32_array));
  napi_set_named_property(env, out, "index", typed(env, s.index, napi_int32_array));
  napi_set_named_property(env, out, "value", typed(env, s.value, napi_float32_array));
  return out;
}

// Runs a binding body, turning Error into a JS exception.
template <typename Body>
napi_value guarded(napi_env env, napi_callback_info info, Body body) {
  try {
    Args a(env, info);
    return body(a);
  } catch (const Error &e) {
    napi_throw_range_error(env, nullptr, e.message.c_str());
  } catch (const std::exception &e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    set_thread_count(static_cast<int>(a.count(0, "threads")));
    napi_value n;
    napi_create_int32(env, thread_count(), &n);
    return n;
  });
}

napi_value DenseScores(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t rows = a.count(2, "rows"), d = a.count(3, "d"), m = a.count(4, "m");
    dense_scores(a.f32(0, rows * d, "x"), a.f32(1, m * d, "w"), rows, d, m, a.f32(5, rows * m, "out"));
    return undefined(env);
  });
}

// cosae's own product whichever dense_scores uses, so its agreement is tested on every build.
napi_value OwnDenseScores(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t rows = a.count(2, "rows"), d = a.count(3, "d"), m = a.count(4, "m");
    own_sgemm_xwt(a.f32(0, rows * d, "x"), a.f32(1, m * d, "w"), rows, d, m, a.f32(5, rows * m, "out"));
    return undefined(env);
  });
}

napi_value AdviseHugePages(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t n = static_cast<int64_t>(a.length(0));
    napi_value r;
    napi_create_double(env, static_cast<double>(advise_huge_pages(a.f32(0, n, "a"), n * 4)), &r);
    return r;
  });
}

// (a, rows, m, kind, bias, gain, encoderNorm, alpha, norm, nu, eps)
ScoreSpec score_spec(Args &a, int64_t rows, int64_t m) {
  ScoreSpec s;
  const int64_t kind = a.count(3, "kind");
  check(kind <= 3, "unknown score kind");
  s.kind = static_cast<ScoreKind>(kind);
  const bool cosine = s.kind != ScoreKind::inner;
  s.bias = a.f32(4, m, "bias");
  s.gain = a.f64(5, cosine ? m : 0, "gain");
  s.encoder_norm = a.f64(6, cosine ? m : 0, "encoderNorm");
  s.alpha = a.f64(7, s.kind == ScoreKind::blend_feature ? m : s.kind == ScoreKind::blend ? 1 : 0, "alpha");
  s.norm = a.f64(8, cosine ? rows : 0, "norm");
  s.nu = a.number(9, "nu");
  s.eps = a.number(10, "eps");
  return s;
}

napi_value ApplyScore(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t rows = a.count(1, "rows"), m = a.count(2, "m");
    float *p = a.f32(0, rows * m, "a");
    apply_score(p, rows, m, score_spec(a, rows, m));
    return undefined(env);
  });
}

napi_value ApplyScoreSelectBatchTopK(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t rows = a.count(1, "rows"), m = a.count(2, "m");
    float *p = a.f32(0, rows * m, "a");
    const ScoreSpec spec = score_spec(a, rows, m);
    return sparse_object(env, apply_score_select_batch_topk(p, rows, m, spec, a.count(11, "count")));
  });
}

napi_value SelectBatchTopK(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t rows = a.count(1, "rows"), m = a.count(2, "m");
    return sparse_object(env, select_batch_topk(a.f32(0, rows * m, "p"), rows, m, a.count(3, "count")));
  });
}

napi_value SelectTopK(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t rows = a.count(1, "rows"), m = a.count(2, "m");
    return sparse_object(env, select_topk(a.f32(0, rows * m, "p"), rows, m, a.count(3, "k")));
  });
}

napi_value SelectTopKAmong(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t rows = a.count(1, "rows"), m = a.count(2, "m");
    const int64_t n = static_cast<int64_t>(a.length(3));
    const int32_t *columns = a.i32(3, n, "columns");
    for (int64_t i = 0; i < n; i++) check(columns[i] >= 0 && columns[i] < m, "column out of range");
    return sparse_object(env, select_topk_among(a.f32(0, rows * m, "p"), rows, m, columns, n, a.count(4, "k")));
  });
}

napi_value SelectAboveThreshold(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t rows = a.count(1, "rows"), m = a.count(2, "m");
    return sparse_object(env, select_above_threshold(a.f32(0, rows * m, "p"), rows, m, a.f64(3, m, "threshold")));
  });
}

// (rowStart, index, value?, rows, …): the codes, checked against `width` (the row count of W or out).
SparseView sparse_view(Args &a, bool with_value, int64_t width) {
  SparseView c;
  c.rows = a.count(3, "rows");
  c.row_start = a.i32(0, c.rows + 1, "rowStart");
  const int64_t nnz = c.row_start[c.rows];
  c.index = a.i32(1, nnz, "index");
  c.value = with_value ? a.f32(2, nnz, "value") : nullptr;
  for (int64_t t = 0; t < c.rows; t++) check(c.row_start[t] <= c.row_start[t + 1], "rowStart must not decrease");
  check(c.row_start[0] == 0, "rowStart[0] must be 0");
  for (int64_t i = 0; i < nnz; i++) check(c.index[i] >= 0 && c.index[i] < width, "index out of range");
  return c;
}

// (rowStart, index, value, rows, w, d, out)
napi_value SparseDecode(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t d = a.count(5, "d");
    check(d > 0, "d must be positive");
    const SparseView c = sparse_view(a, true, static_cast<int64_t>(a.length(4)) / d);
    sparse_decode(c, a.f32(4, 0, "w"), d, a.f32(6, c.rows * d, "out"));
    return undefined(env);
  });
}

// (rowStart, index, value, rows, x, d, out)
napi_value SparseAccumulate(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t d = a.count(5, "d");
    check(d > 0, "d must be positive");
    const SparseView c = sparse_view(a, true, static_cast<int64_t>(a.length(6)) / d);
    sparse_accumulate(c, a.f32(4, c.rows * d, "x"), d, a.f32(6, 0, "out"));
    return undefined(env);
  });
}

// (rowStart, index, unused, rows, x, w, d, out)
napi_value SparseRowDot(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t d = a.count(6, "d");
    check(d > 0, "d must be positive");
    const SparseView c = sparse_view(a, false, static_cast<int64_t>(a.length(5)) / d);
    sparse_row_dot(c, a.f32(4, c.rows * d, "x"), a.f32(5, 0, "w"), d, a.f64(7, c.row_start[c.rows], "out"));
    return undefined(env);
  });
}

// (rowStart, index, unused, rows, m) → { start, entry, token }
napi_value TransposeCodes(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t m = a.count(4, "m");
    const LatentOrder o = transpose_codes(sparse_view(a, false, m), m);
    napi_value out;
    napi_create_object(env, &out);
    napi_set_named_property(env, out, "start", typed(env, o.start, napi_int32_array));
    napi_set_named_property(env, out, "entry", typed(env, o.entry, napi_int32_array));
    napi_set_named_property(env, out, "token", typed(env, o.token, napi_int32_array));
    return out;
  });
}

// (start, entry, token, m, …): a latent order, checked against `entries` (its codes' nnz) and `tokens` (rows of x).
LatentView latent_view(Args &a, int64_t tokens) {
  LatentView o;
  o.m = a.count(3, "m");
  o.start = a.i32(0, o.m + 1, "start");
  const int64_t nnz = o.start[o.m];
  check(o.start[0] == 0, "start[0] must be 0");
  for (int64_t j = 0; j < o.m; j++) check(o.start[j] <= o.start[j + 1], "start must not decrease");
  o.entry = a.i32(1, nnz, "entry");
  o.token = a.i32(2, nnz, "token");
  for (int64_t e = 0; e < nnz; e++) {
    check(o.entry[e] >= 0 && o.entry[e] < nnz, "entry out of range");
    check(o.token[e] >= 0 && o.token[e] < tokens, "token out of range");
  }
  return o;
}

// (start, entry, token, m, upstream, decoder, decoderCoef, xc, encoder, encoderScale, d,
//  gradDecoder, gradEncoder, upstreamDot, encoderDot, overwrite)
napi_value LatentBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t d = a.count(10, "d");
    check(d > 0, "d must be positive");
    const int64_t rows = static_cast<int64_t>(a.length(4)) / d;
    const LatentView o = latent_view(a, rows);
    const int64_t nnz = o.start[o.m], md = o.m * d;
    LatentBackwardArgs b;
    b.rows = rows;
    b.upstream = a.f32(4, rows * d, "upstream");
    b.decoder = a.f32(5, md, "decoder");
    b.decoder_coef = a.f32(6, nnz, "decoderCoef");
    b.xc = a.f32(7, rows * d, "xc");
    b.encoder = a.f32(8, md, "encoder");
    b.encoder_scale = a.f64(9, nnz, "encoderScale");
    b.grad_decoder = a.f32(11, md, "gradDecoder");
    b.grad_encoder = a.f32(12, md, "gradEncoder");
    b.upstream_dot = a.f64(13, nnz, "upstreamDot");
    b.encoder_dot = a.f64(14, nnz, "encoderDot");
    latent_backward(o, b, d, a.number(15, "overwrite") != 0);
    return undefined(env);
  });
}

// (rowStart, index, value, rows, m, kind, equivariant, nu, eps, norm, logRatio, gain, encoderNorm, alpha,
//  scale, power, …): codes and the EntryTerms of an entry pass; scale and power may be empty (all 1).
EntryTerms entry_terms(Args &a, const SparseView &c, int64_t m) {
  const int64_t nnz = c.row_start[c.rows];
  EntryTerms e;
  const int64_t kind = a.count(5, "kind");
  check(kind <= 3, "unknown score kind");
  e.kind = static_cast<ScoreKind>(kind);
  e.equivariant = a.number(6, "equivariant") != 0;
  e.m = m;
  e.nu = a.number(7, "nu");
  e.eps = a.number(8, "eps");
  e.norm = a.f64(9, c.rows, "norm");
  e.log_ratio = a.f64(10, c.rows, "logRatio");
  e.gain = a.f64(11, m, "gain");
  e.encoder_norm = a.f64(12, m, "encoderNorm");
  e.alpha = a.f64(13, m, "alpha");
  e.scale = a.length(14) == 0 ? nullptr : a.f64(14, nnz, "scale");
  e.power = a.length(15) == 0 ? nullptr : a.f64(15, nnz, "power");
  return e;
}

// (…entry_terms, decoderCoef, encoderScale)
napi_value EntryCoefficients(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t m = a.count(4, "m");
    const SparseView c = sparse_view(a, true, m);
    const int64_t nnz = c.row_start[c.rows];
    entry_coefficients(c, entry_terms(a, c, m), a.f32(16, nnz, "decoderCoef"), a.f64(17, nnz, "encoderScale"));
    return undefined(env);
  });
}

// (…entry_terms, upstreamDot, encoderDot, encoderScale, bEnc, logGain, gradAlpha, dNorm, dEncoderNorm,
//  encoderCoefSum)
napi_value EntryReductions(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t m = a.count(4, "m");
    const SparseView c = sparse_view(a, true, m);
    const int64_t nnz = c.row_start[c.rows];
    const EntryTerms e = entry_terms(a, c, m);
    const int64_t alphas = e.kind == ScoreKind::blend ? 1 : e.kind == ScoreKind::blend_feature ? m : 0;
    EntrySums s{a.f32(19, m, "bEnc"),  a.f32(20, e.kind == ScoreKind::inner ? 0 : m, "logGain"),      a.f32(21, alphas, "gradAlpha"),
                a.f64(22, c.rows, "dNorm"), a.f64(23, m, "dEncoderNorm"), a.f64(24, m, "encoderCoefSum")};
    entry_reductions(c, e, a.f64(16, nnz, "upstreamDot"), a.f64(17, nnz, "encoderDot"),
                     a.f64(18, nnz, "encoderScale"), s);
    return undefined(env);
  });
}

// (target, estimate, weight, rows, d, coef, upstream, tokenSse)
napi_value ResidualUpstream(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t rows = a.count(3, "rows"), d = a.count(4, "d"), n = rows * d;
    residual_upstream(a.f32(0, n, "target"), a.f32(1, n, "estimate"), a.f64(2, rows, "weight"), rows, d,
                      a.number(5, "coef"), a.f32(6, n, "upstream"), a.f64(7, rows, "tokenSse"));
    return undefined(env);
  });
}

// (v, rows, d) → Σ‖v_t − v̄‖²
napi_value CentredSumOfSquares(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t rows = a.count(1, "rows"), d = a.count(2, "d");
    napi_value out;
    napi_create_double(env, centred_sum_of_squares(a.f32(0, rows * d, "v"), rows, d), &out);
    return out;
  });
}

// (x, coef, n, d, out)
napi_value WeightedRowSum(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t n = a.count(2, "n"), d = a.count(3, "d");
    weighted_row_sum(a.f32(0, n * d, "x"), a.f64(1, n, "coef"), n, d, a.f64(4, d, "out"));
    return undefined(env);
  });
}

// Adam's constants for one step (adam.ts computes them), seven numbers from argument `first` on.
AdamStep adam_step(Args &a, size_t first) {
  return AdamStep{a.number(first, "beta1"), a.number(first + 1, "beta2"),
                  a.number(first + 2, "oneMinusBeta1"), a.number(first + 3, "oneMinusBeta2"),
                  a.number(first + 4, "step"), a.number(first + 5, "correction2"),
                  a.number(first + 6, "epsilon")};
}

// (param, grad, first, second, beta1, beta2, oneMinusBeta1, oneMinusBeta2, step, correction2, epsilon)
napi_value AdamUpdate(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t n = static_cast<int64_t>(a.length(0));
    const AdamStep s = adam_step(a, 4);
    adam_update(a.f32(0, n, "param"), a.f32(1, n, "grad"), a.f32(2, n, "first"), a.f32(3, n, "second"), n, s);
    return undefined(env);
  });
}

// (decoder, grad, first, second, d, beta1, beta2, oneMinusBeta1, oneMinusBeta2, step, correction2, epsilon)
napi_value AdamUpdateOnSphere(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t d = a.count(4, "d");
    check(d > 0, "d must be positive");
    const int64_t n = static_cast<int64_t>(a.length(0)), m = n / d;
    const AdamStep s = adam_step(a, 5);
    adam_update_on_sphere(a.f32(0, m * d, "decoder"), a.f32(1, m * d, "grad"), a.f32(2, m * d, "first"),
                          a.f32(3, m * d, "second"), m, d, s);
    return undefined(env);
  });
}

// (param, grad, first, second, d, norms, beta1, beta2, oneMinusBeta1, oneMinusBeta2, step, correction2, epsilon)
napi_value AdamUpdateRowNorms(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t d = a.count(4, "d");
    check(d > 0, "d must be positive");
    const int64_t n = static_cast<int64_t>(a.length(0)), m = n / d;
    const AdamStep s = adam_step(a, 6);
    adam_update_row_norms(a.f32(0, m * d, "param"), a.f32(1, m * d, "grad"), a.f32(2, m * d, "first"),
                          a.f32(3, m * d, "second"), m, d, s, a.f64(5, m, "norms"));
    return undefined(env);
  });
}

// (x, invScale, bDec, rows, d, xs, xc, norm)
napi_value CentreRows(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t rows = a.count(3, "rows"), d = a.count(4, "d"), n = rows * d;
    centre_rows(a.f32(0, n, "x"), a.number(1, "invScale"), a.f32(2, d, "bDec"), rows, d, a.f32(5, n, "xs"),
                a.f32(6, n, "xc"), a.f64(7, rows, "norm"));
    return undefined(env);
  });
}

napi_value RowNorms(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t m = a.count(1, "m"), d = a.count(2, "d");
    row_norms(a.f32(0, m * d, "w"), m, d, a.f64(3, m, "out"));
    return undefined(env);
  });
}

napi_value ProjectToTangent(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t d = a.count(2, "d");
    check(d > 0, "d must be positive");
    const int64_t m = static_cast<int64_t>(a.length(0)) / d;
    project_to_tangent(a.f32(0, m * d, "decoder"), a.f32(1, m * d, "grad"), m, d);
    return undefined(env);
  });
}

napi_value NormaliseRows(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t d = a.count(1, "d");
    check(d > 0, "d must be positive");
    const int64_t m = static_cast<int64_t>(a.length(0)) / d;
    normalise_rows(a.f32(0, m * d, "decoder"), m, d);
    return undefined(env);
  });
}

napi_value Init(napi_env env, napi_value exports) {
  set_thread_count(0);
  const napi_property_descriptor methods[] = {
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"denseScores", nullptr, DenseScores, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"ownDenseScores", nullptr, OwnDenseScores, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adviseHugePages", nullptr, AdviseHugePages, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"applyScore", nullptr, ApplyScore, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"applyScoreSelectBatchTopK", nullptr, ApplyScoreSelectBatchTopK, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"selectBatchTopK", nullptr, SelectBatchTopK, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"selectTopK", nullptr, SelectTopK, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"selectTopKAmong", nullptr, SelectTopKAmong, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"selectAboveThreshold", nullptr, SelectAboveThreshold, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sparseDecode", nullptr, SparseDecode, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sparseAccumulate", nullptr, SparseAccumulate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sparseRowDot", nullptr, SparseRowDot, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"transposeCodes", nullptr, TransposeCodes, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"latentBackward", nullptr, LatentBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"entryCoefficients", nullptr, EntryCoefficients, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"entryReductions", nullptr, EntryReductions, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"residualUpstream", nullptr, ResidualUpstream, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"centredSumOfSquares", nullptr, CentredSumOfSquares, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"weightedRowSum", nullptr, WeightedRowSum, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamUpdate", nullptr, AdamUpdate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamUpdateOnSphere", nullptr, AdamUpdateOnSphere, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamUpdateRowNorms", nullptr, AdamUpdateRowNorms, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"centreRows", nullptr, CentreRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rowNorms", nullptr, RowNorms, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"projectToTangent", nullptr, ProjectToTangent, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"normaliseRows", nullptr, NormaliseRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"causalAttention", nullptr, CausalAttention, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rowsActivate", nullptr, RowsActivate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gatedActivate", nullptr, GatedActivate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"normalizeRows", nullptr, NormalizeRows, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods);
  // Which product denseScores uses, and the micro-kernel of cosae's own.
  napi_value gemm, kernel;
  napi_create_string_utf8(env, dense_product(), NAPI_AUTO_LENGTH, &gemm);
  napi_create_string_utf8(env, own_sgemm_kernel(), NAPI_AUTO_LENGTH, &kernel);
  napi_set_named_property(env, exports, "gemm", gemm);
  napi_set_named_property(env, exports, "ownGemmKernel", kernel);
  return exports;
}

}  // namespace
}  // namespace cosae

NAPI_MODULE(NODE_GYP_MODULE_NAME, cosae::Init)
