// Causal attention, vectorised over keys and split over threads by
// (sequence, kv head, block of queries). Keys of one kv head are packed
// transposed, [head_size, keys], so the score loop runs along contiguous keys;
// on AVX-512 tiles of 8 queries share each load (see attend). Arithmetic is
// float32 (scores, exp, weighted sums in 16 lanes, fused multiply-adds on
// AVX-512): against the float64 JS kernel the outputs agree to ~1e-6 relative.
#include "attention.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "fast_exp.h"
#include "parallel.h"

namespace cosae {
namespace {

// Queries per work item: small enough to balance threads on one long
// sequence, large enough that re-packing the keys per item stays cheap.
constexpr int64_t kQueryBlock = 64;
// Below this many (query, key, head) triples per thread, extra threads cost more than they save.
constexpr int64_t kGrain = 1 << 15;
// Lane width the packed rows are padded to (one AVX-512 register).
constexpr int64_t kLanes = 16;

// Queries [t0, t1) of one sequence (its first row `start`, its length n) against one kv head.
struct Item {
  int64_t start, kv_head, t0, t1, n;
};

struct Scratch {
  std::vector<float> keys, values, scores;  // keys/values [head_size, ld], scores [ld]
  // Which sequence and kv head `keys` and `values` hold, and how many of its keys (AVX-512 path):
  // a thread's next item of the same pair only appends its new keys.
  int64_t start = -1, kv_head = -1, packed = 0, ld = 0;
};

#ifdef __AVX512F__
// Tiles of kTile queries of one head share every key and value load: the
// score pass is a [kTile × hs]·[hs × 16 keys] product in registers, the value
// pass a [kTile × keys]·[keys × hs] one, so K and V stream from cache once per
// tile instead of once per query (the kernel was bound by those loads).
constexpr int kTile = 8;

// tanh(y) = 1 − 2/(e^{2y} + 1); exp_approx clamps, so ±large y give ±1.
inline __m512 softcap_scores(__m512 s, float c) {
  const __m512 e = exp_approx(_mm512_mul_ps(s, _mm512_set1_ps(2.0f / c)));
  const __m512 t = _mm512_sub_ps(_mm512_set1_ps(1.0f),
                                 _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
  return _mm512_mul_ps(t, _mm512_set1_ps(c));
}

inline __mmask16 lanes_below(int64_t n) {
  return n >= kLanes ? static_cast<__mmask16>(0xFFFF) : n <= 0 ? 0 : static_cast<__mmask16>((1u << n) - 1);
}

// out[q] += Σ_s p[q][s] · V[s] for 4 queries and NJ·16 dims from `c0`: V rows [n, ldv], p rows [4][lds].
template <int NJ>
void weighted_values(const float *p, int64_t lds, const float *v, int64_t ldv, int64_t n, int64_t c0,
                     __m512 acc[4][4]) {
  for (int q = 0; q < 4; q++)
    for (int j = 0; j < NJ; j++) acc[q][j] = _mm512_setzero_ps();
  for (int64_t s = 0; s < n; s++) {
    __m512 row[NJ];
    for (int j = 0; j < NJ; j++) row[j] = _mm512_loadu_ps(v + s * ldv + c0 + 16 * j);
    for (int q = 0; q < 4; q++) {
      const __m512 w = _mm512_set1_ps(p[q * lds + s]);
      for (int j = 0; j < NJ; j++) acc[q][j] = _mm512_fmadd_ps(w, row[j], acc[q][j]);
    }
  }
}

void attend(const float *qkv, const AttentionShape &shape, const Item &item, Scratch &scratch, float *out) {
  const int64_t hs = shape.head_size, dim = shape.heads * hs, kv_dim = shape.kv_heads * hs;
  const int64_t stride = dim + 2 * kv_dim, group = shape.heads / shape.kv_heads;
  const int64_t window = shape.window;
  const auto lowest_key = [window](int64_t t) { return window > 0 ? std::max<int64_t>(0, t - window + 1) : 0; };
  // The block's queries see keys [first, t1): all earlier ones, or with a window the last `window` of each.
  const int64_t first = lowest_key(item.t0);
  const int64_t keys = item.t1 - first;
  const int64_t hsp = (hs + kLanes - 1) / kLanes * kLanes;  // head dims, padded: V row length
  // Without a window, every block of the pair reads keys from 0: pack the whole sequence's
  // width once and append each block's new keys; with one, pack each block's keys afresh.
  const bool append = window == 0 && scratch.start == item.start && scratch.kv_head == item.kv_head;
  if (!append) {
    // Rows a multiple of 256 floats apart alias in the cache (the score pass reads a column of K^T): pad by 16.
    scratch.ld = ((window == 0 ? item.n : keys) + kLanes - 1) / kLanes * kLanes;
    if (scratch.ld % 256 == 0) scratch.ld += kLanes;
    // K^T [hs, ld] (+16: a tile starting past `first` reads up to 15 lanes past its row); V [ld, hsp].
    scratch.keys.assign(hs * scratch.ld + kLanes, 0.0f);
    scratch.values.assign(scratch.ld * hsp, 0.0f);
    scratch.start = window == 0 ? item.start : -1;
    scratch.kv_head = item.kv_head;
    scratch.packed = 0;
  }
  const int64_t ld = scratch.ld;  // K^T row length, score row length
  scratch.scores.resize(kTile * ld + kTile * hs);
  float *kt = scratch.keys.data(), *v = scratch.values.data(), *sc = scratch.scores.data();
  float *qs = sc + kTile * ld;  // the tile's scaled queries [kTile, hs]

  const float *first_key = qkv + (item.start + first) * stride + dim + item.kv_head * hs;
  for (int64_t s = scratch.packed; s < keys; s++) {
    const float *k = first_key + s * stride;
    for (int64_t i = 0; i < hs; i++) kt[i * ld + s] = k[i];
    std::copy(k + kv_dim, k + kv_dim + hs, v + s * hsp);
  }
  scratch.packed = keys;
  for (int64_t h = item.kv_head * group; h < (item.kv_head + 1) * group; h++) {
    for (int64_t t0 = item.t0; t0 < item.t1; t0 += kTile) {
      const int64_t nq = std::min<int64_t>(kTile, item.t1 - t0);
      for (int64_t q = 0; q < kTile; q++) {
        const float *row = qkv + (item.start + t0 + q) * stride + h * hs;
        for (int64_t i = 0; i < hs; i++) qs[q * hs + i] = q < nq ? row[i] * shape.scale : 0.0f;
      }
      // The tile's keys, relative to `first`: [base, base + n).
      const int64_t base = lowest_key(t0) - first;
      const int64_t n = t0 + nq - first - base;
      const int64_t blocks = (n + kLanes - 1) / kLanes;
      for (int64_t b = 0; b < blocks; b++) {
        const float *k = kt + base + b * kLanes;
        __m512 acc[kTile];
        for (int q = 0; q < kTile; q++) acc[q] = _mm512_setzero_ps();
        for (int64_t i = 0; i < hs; i++) {
          const __m512 kv = _mm512_loadu_ps(k + i * ld);
          for (int q = 0; q < kTile; q++) acc[q] = _mm512_fmadd_ps(_mm512_set1_ps(qs[q * hs + i]), kv, acc[q]);
        }
        for (int q = 0; q < kTile; q++) {
          if (shape.softcap > 0) acc[q] = softcap_scores(acc[q], shape.softcap);
          _mm512_storeu_ps(sc + q * ld + b * kLanes, acc[q]);
        }
      }
      // Per query: softmax over its own keys [lo, hi) of the tile's, weights 0 elsewhere.
      float inv[kTile];
      for (int64_t q = 0; q < kTile; q++) {
        float *p = sc + q * ld;
        if (q >= nq) {
          std::fill(p, p + blocks * kLanes, 0.0f);
          inv[q] = 0;
          continue;
        }
        const int64_t lo = lowest_key(t0 + q) - first - base, hi = t0 + q + 1 - first - base;
        __m512 max = _mm512_set1_ps(-INFINITY);
        for (int64_t b = 0; b < blocks; b++) {
          const __mmask16 in = lanes_below(hi - b * kLanes) & ~lanes_below(lo - b * kLanes);
          max = _mm512_mask_max_ps(max, in, max, _mm512_loadu_ps(p + b * kLanes));
        }
        const __m512 m = _mm512_set1_ps(_mm512_reduce_max_ps(max));
        __m512 sum = _mm512_setzero_ps();
        for (int64_t b = 0; b < blocks; b++) {
          const __mmask16 in = lanes_below(hi - b * kLanes) & ~lanes_below(lo - b * kLanes);
          const __m512 e = _mm512_maskz_mov_ps(in, exp_approx(_mm512_sub_ps(_mm512_loadu_ps(p + b * kLanes), m)));
          _mm512_storeu_ps(p + b * kLanes, e);
          sum = _mm512_add_ps(sum, e);
        }
        inv[q] = 1.0f / _mm512_reduce_add_ps(sum);
      }
      // Weighted values, 4 queries × up to 64 dims at a time.
      for (int64_t q0 = 0; q0 < nq; q0 += 4) {
        for (int64_t c0 = 0; c0 < hs; c0 += 64) {
          __m512 acc[4][4];
          const int nj = static_cast<int>(std::min<int64_t>(4, (hsp - c0) / kLanes));
          const float *p = sc + q0 * ld;
          const float *vs = v + base * hsp;
          if (nj == 4) weighted_values<4>(p, ld, vs, hsp, n, c0, acc);
          else if (nj == 3) weighted_values<3>(p, ld, vs, hsp, n, c0, acc);
          else if (nj == 2) weighted_values<2>(p, ld, vs, hsp, n, c0, acc);
          else weighted_values<1>(p, ld, vs, hsp, n, c0, acc);
          for (int64_t q = q0; q < std::min<int64_t>(q0 + 4, nq); q++) {
            float *o = out + (item.start + t0 + q) * dim + h * hs;
            const __m512 scale = _mm512_set1_ps(inv[q]);
            for (int j = 0; j < nj; j++) {
              const __mmask16 in = lanes_below(hs - c0 - 16 * j);
              _mm512_mask_storeu_ps(o + c0 + 16 * j, in, _mm512_mul_ps(acc[q - q0][j], scale));
            }
          }
        }
      }
    }
  }
}
#else
void attend_query(const float *q, const float *kt, const float *vt, int64_t ld, int64_t hs, int64_t n, float softcap,
                  float *sc, float *o) {
#pragma omp simd
  for (int64_t s = 0; s < n; s++) sc[s] = q[0] * kt[s];
  for (int64_t i = 1; i < hs; i++) {
    const float qi = q[i], *ki = kt + i * ld;
#pragma omp simd
    for (int64_t s = 0; s < n; s++) sc[s] += qi * ki[s];
  }
  if (softcap > 0)
    for (int64_t s = 0; s < n; s++) sc[s] = softcap * std::tanh(sc[s] / softcap);
  float max = sc[0];
#pragma omp simd reduction(max : max)
  for (int64_t s = 1; s < n; s++) max = std::max(max, sc[s]);
  float sum = 0;
  for (int64_t s = 0; s < n; s++) sum += sc[s] = exp_approx(sc[s] - max);
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < hs; i++) {
    const float *vi = vt + i * ld;
    float acc = 0;
#pragma omp simd reduction(+ : acc)
    for (int64_t s = 0; s < n; s++) acc += sc[s] * vi[s];
    o[i] = acc * inv;
  }
}

void attend(const float *qkv, const AttentionShape &shape, const Item &item, Scratch &scratch, float *out) {
  const int64_t hs = shape.head_size, dim = shape.heads * hs, kv_dim = shape.kv_heads * hs;
  const int64_t stride = dim + 2 * kv_dim, group = shape.heads / shape.kv_heads;
  // The block's queries see keys [first, t1): all earlier ones, or with a window the last `window` of each query.
  const int64_t first = shape.window > 0 ? std::max<int64_t>(0, item.t0 - shape.window + 1) : 0;
  const int64_t keys = item.t1 - first;
  const int64_t ld = (keys + kLanes - 1) / kLanes * kLanes;
  // kLanes more: a query whose keys start past `first` reads 16-lane blocks up to kLanes − 1 past its row.
  scratch.keys.assign(hs * ld + kLanes, 0.0f);
  scratch.values.assign(hs * ld + kLanes, 0.0f);
  scratch.scores.resize(ld + hs);
  float *kt = scratch.keys.data(), *vt = scratch.values.data(), *sc = scratch.scores.data();
  float *q = sc + ld;

  const float *first_key = qkv + (item.start + first) * stride + dim + item.kv_head * hs;
  for (int64_t s = 0; s < keys; s++) {
    const float *k = first_key + s * stride;
    for (int64_t i = 0; i < hs; i++) {
      kt[i * ld + s] = k[i];
      vt[i * ld + s] = k[kv_dim + i];
    }
  }
  for (int64_t h = item.kv_head * group; h < (item.kv_head + 1) * group; h++) {
    for (int64_t t = item.t0; t < item.t1; t++) {
      const float *row = qkv + (item.start + t) * stride + h * hs;
      for (int64_t i = 0; i < hs; i++) q[i] = row[i] * shape.scale;
      const int64_t lo = shape.window > 0 ? std::max<int64_t>(0, t - shape.window + 1) : 0;
      attend_query(q, kt + (lo - first), vt + (lo - first), ld, hs, t + 1 - lo, shape.softcap, sc,
                   out + (item.start + t) * dim + h * hs);
    }
  }
}
#endif

}  // namespace

void causal_attention(const float *qkv, const int32_t *lengths, int64_t sequences, const AttentionShape &shape,
                      float *out) {
  // Work items and their cost in (query, key) pairs, then contiguous runs of
  // items of about equal cost, one per thread. The split only decides which
  // thread computes an output, never how, so results do not depend on it.
  std::vector<Item> items;
  std::vector<int64_t> cost_before{0};
  int64_t start = 0;
  for (int64_t q = 0; q < sequences; q++) {
    const int64_t n = lengths[q];
    for (int64_t kvh = 0; kvh < shape.kv_heads; kvh++) {
      for (int64_t t0 = 0; t0 < n; t0 += kQueryBlock) {
        const int64_t t1 = std::min(n, t0 + kQueryBlock);
        items.push_back({start, kvh, t0, t1, n});
        // Σ_{t0 ≤ t < t1} (t + 1) scores, plus packing t1 keys.
        cost_before.push_back(cost_before.back() + (t1 - t0) * (t0 + t1 + 1) / 2 + t1);
      }
    }
    start += n;
  }
  if (items.empty()) return;
  const int64_t total = cost_before.back();
  const int64_t group = shape.heads / shape.kv_heads;
  const int parts = std::min<int64_t>(parallel_parts(total * group * shape.head_size, kGrain),
                                      static_cast<int64_t>(items.size()));
  // Part p takes the items whose cost starts in [total·p/parts, total·(p+1)/parts).
  std::vector<size_t> bounds(parts + 1, items.size());
  bounds[0] = 0;
  for (int p = 1; p < parts; p++) {
    const int64_t at = total * p / parts;
    bounds[p] = std::lower_bound(cost_before.begin(), cost_before.end() - 1, at) - cost_before.begin();
  }
  parallel_for(parts, 1, [&](int, int64_t begin, int64_t end) {
    Scratch scratch;
    for (int64_t p = begin; p < end; p++)
      for (size_t j = bounds[p]; j < bounds[p + 1]; j++) attend(qkv, shape, items[j], scratch, out);
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

template <typename T>
T *typed_array(napi_env env, napi_value v, napi_typedarray_type want, const char *name, size_t *length) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  require(is, std::string(name) + " must be a typed array");
  napi_typedarray_type type;
  void *data;
  napi_get_typedarray_info(env, v, &type, length, &data, nullptr, nullptr);
  require(type == want, std::string(name) + " has the wrong element type");
  return static_cast<T *>(data);
}

int64_t positive_count(napi_env env, napi_value v, const char *name) {
  double x = 0;
  require(napi_get_value_double(env, v, &x) == napi_ok, std::string(name) + " must be a number");
  require(x >= 1 && x <= 1e9 && x == std::floor(x), std::string(name) + " must be a positive integer");
  return static_cast<int64_t>(x);
}

}  // namespace

napi_value CausalAttention(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  try {
    require(argc == 5 || argc == 8,
            "causalAttention(qkv, lengths, heads, kvHeads, headSize[, scale, softcap, window]) takes 5 or 8 arguments");
    size_t qkv_length = 0, sequences = 0;
    const float *qkv = typed_array<float>(env, argv[0], napi_float32_array, "qkv", &qkv_length);
    const int32_t *lengths = typed_array<int32_t>(env, argv[1], napi_int32_array, "lengths", &sequences);
    const int64_t head_size = positive_count(env, argv[4], "headSize");
    double scale = 1.0 / std::sqrt(static_cast<double>(head_size)), softcap = 0, window = 0;
    if (argc == 8) {
      require(napi_get_value_double(env, argv[5], &scale) == napi_ok && std::isfinite(scale) && scale > 0,
              "scale must be a positive number");
      require(napi_get_value_double(env, argv[6], &softcap) == napi_ok && std::isfinite(softcap) && softcap >= 0,
              "softcap must be a number >= 0 (0: none)");
      require(napi_get_value_double(env, argv[7], &window) == napi_ok && window >= 0 && window <= 1e9 &&
                  window == std::floor(window),
              "window must be an integer >= 0 (0: none)");
    }
    const AttentionShape shape{positive_count(env, argv[2], "heads"), positive_count(env, argv[3], "kvHeads"),
                               head_size, static_cast<float>(scale), static_cast<float>(softcap),
                               static_cast<int64_t>(window)};
    require(shape.heads % shape.kv_heads == 0, "kvHeads must divide heads");
    int64_t rows = 0;
    for (size_t q = 0; q < sequences; q++) {
      require(lengths[q] >= 0, "sequence lengths must not be negative");
      rows += lengths[q];
    }
    const int64_t stride = (shape.heads + 2 * shape.kv_heads) * shape.head_size;
    require(static_cast<int64_t>(qkv_length) == rows * stride,
            "qkv must hold Σ lengths × (heads + 2·kvHeads)·headSize values");

    const int64_t out_length = rows * shape.heads * shape.head_size;
    void *data = nullptr;
    napi_value buffer, result;
    require(napi_create_arraybuffer(env, out_length * sizeof(float), &data, &buffer) == napi_ok,
            "cannot allocate the output");
    causal_attention(qkv, lengths, static_cast<int64_t>(sequences), shape, static_cast<float *>(data));
    napi_create_typedarray(env, napi_float32_array, out_length, buffer, 0, &result);
    return result;
  } catch (const ArgumentError &e) {
    napi_throw_range_error(env, nullptr, e.message.c_str());
  } catch (const std::exception &e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

}  // namespace cosae
