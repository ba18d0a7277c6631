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

// The typed array `v` as T*, checked for its element type and length (at least min_length).
template <typename T>
T *typed_array(napi_env env, napi_value v, napi_typedarray_type want, int64_t min_length, const char *name) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  check(is, std::string(name) + " must be a typed array");
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr);
  check(type == want, std::string(name) + " has the wrong element type");
  check(static_cast<int64_t>(length) >= min_length, std::string(name) + " is too short");
  return static_cast<T *>(data);
}

double number_value(napi_env env, napi_value v, const char *name) {
  double out;
  check(napi_get_value_double(env, v, &out) == napi_ok, std::string(name) + " must be a number");
  return out;
}

int64_t count_value(double v, const char *name) {
  check(v >= 0 && v == static_cast<double>(static_cast<int64_t>(v)), std::string(name) + " must be a count");
  return static_cast<int64_t>(v);
}

// Named arguments: the fields of one JS object, read by name (the calls with many arguments:
// the score spec, the entry passes and the latent pass; their TypeScript side is native-addon.ts).
struct Fields {
  napi_env env;
  napi_value object;
  napi_value get(const char *name) {
    bool has = false;
    napi_has_named_property(env, object, name, &has);
    check(has, std::string("missing field ") + name);
    napi_value v;
    napi_get_named_property(env, object, name, &v);
    return v;
  }
  float *f32(const char *name, int64_t n) { return typed_array<float>(env, get(name), napi_float32_array, n, name); }
  double *f64(const char *name, int64_t n) { return typed_array<double>(env, get(name), napi_float64_array, n, name); }
  int32_t *i32(const char *name, int64_t n) { return typed_array<int32_t>(env, get(name), napi_int32_array, n, name); }
  size_t length(const char *name) {
    size_t length = 0;
    napi_get_typedarray_info(env, get(name), nullptr, &length, nullptr, nullptr, nullptr);
    return length;
  }
  double number(const char *name) { return number_value(env, get(name), name); }
  int64_t count(const char *name) { return count_value(number(name), name); }
  bool flag(const char *name) { return number(name) != 0; }
};

struct Args {
  napi_env env;
  napi_value argv[32];
  size_t argc = 32;
  Args(napi_env e, napi_callback_info info) : env(e) { napi_get_cb_info(e, info, &argc, argv, nullptr, nullptr); }

  template <typename T>
  T *array(size_t i, napi_typedarray_type want, int64_t min_length, const char *name) {
    check(i < argc, std::string("missing argument ") + name);
    return typed_array<T>(env, argv[i], want, min_length, name);
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
    return number_value(env, argv[i], name);
  }
  int64_t count(size_t i, const char *name) { return count_value(number(i, name), name); }
  // Argument i as an object of named fields.
  Fields fields(size_t i, const char *name) {
    check(i < argc, std::string("missing argument ") + name);
    napi_valuetype type;
    napi_typeof(env, argv[i], &type);
    check(type == napi_object, std::string(name) + " must be an object");
    return Fields{env, argv[i]};
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

// Argument 3 of applyScore*: { cosine, alphaMode, bias, gain, encoderNorm, alpha, norm, nu, eps }, the
// score's facts resolved by src/kernels/native.ts from src/kernels/score-family.ts.
AlphaMode alpha_mode(Fields &f) {
  const int64_t mode = f.count("alphaMode");
  check(mode <= 2, "alphaMode must be 0 (fixed), 1 (global) or 2 (per latent)");
  return static_cast<AlphaMode>(mode);
}

int64_t alpha_length(AlphaMode mode, int64_t m) {
  return mode == AlphaMode::per_latent ? m : mode == AlphaMode::global ? 1 : 0;
}

ScoreSpec score_spec(Args &a, int64_t rows, int64_t m) {
  Fields f = a.fields(3, "spec");
  ScoreSpec s;
  s.cosine = f.flag("cosine");
  s.alpha_mode = alpha_mode(f);
  s.bias = f.f32("bias", m);
  s.gain = f.f64("gain", s.cosine ? m : 0);
  s.encoder_norm = f.f64("encoderNorm", s.cosine ? m : 0);
  s.alpha = f.f64("alpha", alpha_length(s.alpha_mode, m));
  s.norm = f.f64("norm", s.cosine ? rows : 0);
  s.nu = f.number("nu");
  s.eps = f.number("eps");
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
    return sparse_object(env, apply_score_select_batch_topk(p, rows, m, spec, a.count(4, "count")));
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

// (start, entry, token, m, arrays, d, overwrite); arrays: the named fields of LatentBackwardArgs
// (src/kernels/kernels.ts): upstream, decoder, decoderCoef, xc, encoder, encoderScale, gradDecoder,
// gradEncoder, upstreamDot, encoderDot.
napi_value LatentBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    const int64_t d = a.count(5, "d");
    check(d > 0, "d must be positive");
    Fields f = a.fields(4, "arrays");
    const int64_t rows = static_cast<int64_t>(f.length("upstream")) / d;
    const LatentView o = latent_view(a, rows);
    const int64_t nnz = o.start[o.m], md = o.m * d;
    LatentBackwardArgs b;
    b.rows = rows;
    b.upstream = f.f32("upstream", rows * d);
    b.decoder = f.f32("decoder", md);
    b.decoder_coef = f.f32("decoderCoef", nnz);
    b.xc = f.f32("xc", rows * d);
    b.encoder = f.f32("encoder", md);
    b.encoder_scale = f.f64("encoderScale", nnz);
    b.grad_decoder = f.f32("gradDecoder", md);
    b.grad_encoder = f.f32("gradEncoder", md);
    b.upstream_dot = f.f64("upstreamDot", nnz);
    b.encoder_dot = f.f64("encoderDot", nnz);
    latent_backward(o, b, d, a.number(6, "overwrite") != 0);
    return undefined(env);
  });
}

// Argument 4 of the entry passes, the EntryTerms of src/kernels/entry-terms.ts by name: { m, cosine,
// alphaMode, equivariant, nu, eps, norm, logRatio, gain, encoderNorm, alpha, scale, power }; scale and
// power may be empty (all 1).
EntryTerms entry_terms(Fields f, const SparseView &c, int64_t m) {
  const int64_t nnz = c.row_start[c.rows];
  EntryTerms e;
  e.cosine = f.flag("cosine");
  e.alpha_mode = alpha_mode(f);
  e.equivariant = f.flag("equivariant");
  e.m = m;
  e.nu = f.number("nu");
  e.eps = f.number("eps");
  e.norm = f.f64("norm", c.rows);
  e.log_ratio = f.f64("logRatio", c.rows);
  e.gain = f.f64("gain", m);
  e.encoder_norm = f.f64("encoderNorm", m);
  e.alpha = f.f64("alpha", m);
  e.scale = f.length("scale") == 0 ? nullptr : f.f64("scale", nnz);
  e.power = f.length("power") == 0 ? nullptr : f.f64("power", nnz);
  return e;
}

// (rowStart, index, value, rows, terms, { decoderCoef, encoderScale })
napi_value EntryCoefficients(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    Fields terms = a.fields(4, "terms");
    const int64_t m = terms.count("m");
    const SparseView c = sparse_view(a, true, m);
    const int64_t nnz = c.row_start[c.rows];
    Fields out = a.fields(5, "out");
    entry_coefficients(c, entry_terms(terms, c, m), out.f32("decoderCoef", nnz), out.f64("encoderScale", nnz));
    return undefined(env);
  });
}

// (rowStart, index, value, rows, terms, { upstreamDot, encoderDot, encoderScale }, sums), sums the
// EntrySums of entry-terms.ts: { bEnc, logGain, alpha, dNorm, dEncoderNorm, encoderCoefSum }.
napi_value EntryReductions(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args &a) {
    Fields terms = a.fields(4, "terms");
    const int64_t m = terms.count("m");
    const SparseView c = sparse_view(a, true, m);
    const int64_t nnz = c.row_start[c.rows];
    const EntryTerms e = entry_terms(terms, c, m);
    Fields dots = a.fields(5, "dots");
    Fields sums = a.fields(6, "sums");
    EntrySums s{sums.f32("bEnc", m),
                sums.f32("logGain", e.cosine ? m : 0),
                sums.f32("alpha", alpha_length(e.alpha_mode, m)),
                sums.f64("dNorm", c.rows),
                sums.f64("dEncoderNorm", m),
                sums.f64("encoderCoefSum", m)};
    entry_reductions(c, e, dots.f64("upstreamDot", nnz), dots.f64("encoderDot", nnz),
                     dots.f64("encoderScale", nnz), s);
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
      {"addArrays", nullptr, AddArrays, nullptr, nullptr, nullptr, napi_default, nullptr},
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
