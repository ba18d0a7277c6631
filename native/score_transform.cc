// The pre-activation transform of DESIGN §2, applied in place to the raw
// products a_tj = w_j · x_c,t:
//   inner:          p = a + b_j
//   cosine family:  p = a · g_j · r_t^α_j / (‖w_j‖ n_t + ε) + b_j
// in float32, one row at a time; blend-feature takes one vectorised exp per
// element, the others one exp per row. Fused with BatchTopK, each row is
// scanned for candidates while it is still in cache.
#include <cmath>
#include <limits>

#include "candidates.h"
#include "fast_exp.h"
#include "kernels.h"
#include "parallel.h"

namespace cosae {
namespace {

// Per-latent terms in float32, shared by every row of one call.
struct LatentTerms {
  std::vector<float> gain, encoder_norm, alpha, bias;
};

// Per-token terms: n_t, ln r_t and r_t^α for a global α.
struct TokenTerms {
  float norm, log_r, factor;
};

// The three loops of the transform: inner, a factor shared by the row (cosine, blend), one per latent.
enum class Shape { inner, shared_factor, per_latent_factor };

Shape shape_of(const ScoreSpec &s) {
  if (!s.cosine) return Shape::inner;
  return s.alpha_mode == AlphaMode::per_latent ? Shape::per_latent_factor : Shape::shared_factor;
}

TokenTerms token_terms(const ScoreSpec &s, int64_t t) {
  const double n = s.norm[t];
  const double log_r = std::log(std::max(n, std::numeric_limits<double>::denorm_min()) / s.nu);
  const double factor = s.alpha_mode == AlphaMode::global ? std::exp(s.alpha[0] * log_r) : 1.0;
  return {static_cast<float>(n), static_cast<float>(log_r), static_cast<float>(factor)};
}

LatentTerms latent_terms(const ScoreSpec &s, int64_t m) {
  LatentTerms l{std::vector<float>(m), std::vector<float>(m), std::vector<float>(m), std::vector<float>(s.bias, s.bias + m)};
  if (!s.cosine) return l;
  for (int64_t j = 0; j < m; j++) {
    l.gain[j] = static_cast<float>(s.gain[j]);
    l.encoder_norm[j] = static_cast<float>(s.encoder_norm[j]);
    l.alpha[j] = s.alpha_mode == AlphaMode::per_latent ? static_cast<float>(s.alpha[j]) : 0.0f;
  }
  return l;
}

void transform_row(float *__restrict a, int64_t m, Shape shape, const LatentTerms &l, TokenTerms tt, float eps) {
  const float *__restrict b = l.bias.data();
  const float *__restrict g = l.gain.data();
  const float *__restrict wn = l.encoder_norm.data();
  const float *__restrict al = l.alpha.data();
  switch (shape) {
    case Shape::inner:
#pragma omp simd
      for (int64_t j = 0; j < m; j++) a[j] += b[j];
      break;
    case Shape::shared_factor:
#pragma omp simd
      for (int64_t j = 0; j < m; j++) a[j] = a[j] * (g[j] * tt.factor) / (wn[j] * tt.norm + eps) + b[j];
      break;
    case Shape::per_latent_factor: {
      int64_t j = 0;
#ifdef __AVX512F__
      // Same operations as the scalar line below, 16 latents at a time.
      const __m512 log_r = _mm512_set1_ps(tt.log_r), norm = _mm512_set1_ps(tt.norm), e = _mm512_set1_ps(eps);
      for (; j + 16 <= m; j += 16) {
        const __m512 f = exp_approx(_mm512_mul_ps(_mm512_loadu_ps(al + j), log_r));
        const __m512 num = _mm512_mul_ps(_mm512_loadu_ps(a + j), _mm512_mul_ps(_mm512_loadu_ps(g + j), f));
        const __m512 den = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(wn + j), norm), e);
        _mm512_storeu_ps(a + j, _mm512_add_ps(_mm512_div_ps(num, den), _mm512_loadu_ps(b + j)));
      }
#endif
      for (; j < m; j++) a[j] = a[j] * (g[j] * exp_approx(al[j] * tt.log_r)) / (wn[j] * tt.norm + eps) + b[j];
      break;
    }
  }
}

// The transform of one entry, for the sample that bounds the BatchTopK cut.
float transform_one(float a, int64_t j, const LatentTerms &l, TokenTerms tt, Shape shape, float eps) {
  const LatentTerms one{{l.gain[j]}, {l.encoder_norm[j]}, {l.alpha[j]}, {l.bias[j]}};
  transform_row(&a, 1, shape, one, tt, eps);
  return a;
}

}  // namespace

void apply_score(float *a, int64_t rows, int64_t m, const ScoreSpec &spec) {
  const LatentTerms l = latent_terms(spec, m);
  const float eps = static_cast<float>(spec.eps);
  parallel_for(rows, 16, [&](int, int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; t++) transform_row(a + t * m, m, shape_of(spec), l, token_terms(spec, t), eps);
  });
}

Sparse apply_score_select_batch_topk(float *a, int64_t rows, int64_t m, const ScoreSpec &spec, int64_t count) {
  const LatentTerms l = latent_terms(spec, m);
  const float eps = static_cast<float>(spec.eps);
  const float bound = sampled_lower_bound(rows * m, count, [&](int64_t i) {
    const int64_t t = i / m, j = i - t * m;
    return static_cast<double>(transform_one(a[i], j, l, token_terms(spec, t), shape_of(spec), eps));
  });
  std::vector<Candidates> parts(parallel_parts(rows, 16));
  parallel_for(rows, 16, [&](int part, int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; t++) {
      float *row = a + t * m;
      transform_row(row, m, shape_of(spec), l, token_terms(spec, t), eps);
      parts[part].collect(row, m, t * m, bound);
    }
  });
  int64_t found = 0;
  for (auto &c : parts) found += c.count;
  if (found < count && bound > 0) parts = collect_parallel(a, rows, m, 0.0f);
  return finish_batch_topk(parts, rows, m, count);
}

}  // namespace cosae
