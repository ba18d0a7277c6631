// Latent-ordered (CSC) passes of the backward step (DESIGN §3: everything after
// the score matrix is O(B·k·d)). The codes are transposed once so that each
// latent's entries lie together, in token order; then each W row is read once
// and each gradient row written once, with threads owning ranges of latents of
// about equal entry counts — no two threads write the same row, and every sum
// runs in the sequential order, so results never depend on timing.
#include <algorithm>
#ifdef __AVX512F__
#include <immintrin.h>
#endif

#include "kernels.h"
#include "parallel.h"

namespace cosae {

LatentOrder transpose_codes(const SparseView &c, int64_t m) {
  const int64_t nnz = c.row_start[c.rows];
  LatentOrder o;
  o.start.assign(m + 1, 0);
  o.entry.resize(nnz);
  o.token.resize(nnz);
  for (int64_t i = 0; i < nnz; i++) o.start[c.index[i] + 1]++;
  for (int64_t j = 0; j < m; j++) o.start[j + 1] += o.start[j];
  std::vector<int32_t> fill(o.start.begin(), o.start.end() - 1);
  for (int64_t t = 0; t < c.rows; t++) {
    for (int32_t i = c.row_start[t]; i < c.row_start[t + 1]; i++) {
      const int32_t at = fill[c.index[i]]++;
      o.entry[at] = i;
      o.token[at] = static_cast<int32_t>(t);
    }
  }
  return o;
}

namespace {

// Calls body(j) for every latent, threads owning contiguous latent ranges of about
// equal work (entries, plus one per latent for the row itself).
template <typename Body>
void for_latents(const LatentView &o, Body body) {
  const int64_t work = o.start[o.m] + o.m;
  const int parts = parallel_parts(work, 4096);
  std::vector<int64_t> first(parts + 1, o.m);
  first[0] = 0;
  for (int p = 1; p < parts; p++) {
    const int64_t target = work * p / parts;
    int64_t lo = 0, hi = o.m;  // smallest j with start[j] + j >= target
    while (lo < hi) {
      const int64_t mid = (lo + hi) / 2;
      if (o.start[mid] + mid >= target) hi = mid; else lo = mid + 1;
    }
    first[p] = std::max(first[p - 1], lo);
  }
  parallel_for(parts, 1, [&](int, int64_t pb, int64_t pe) {
    for (int64_t p = pb; p < pe; p++)
      for (int64_t j = first[p]; j < first[p + 1]; j++) body(j);
  });
}

}  // namespace

void weighted_row_sum(const float *x, const double *coef, int64_t n, int64_t d, double *out) {
  // Threads own column ranges (multiples of 16), each summing rows in order.
  const int64_t blocks = (d + 15) / 16;
  parallel_for(blocks, 8, [&](int, int64_t b0, int64_t b1) {
    const int64_t c0 = b0 * 16, c1 = std::min(d, b1 * 16);
    for (int64_t i = 0; i < n; i++) {
      const double v = coef[i];
      if (v == 0) continue;
      const float *__restrict xr = x + i * d;
#pragma omp simd
      for (int64_t c = c0; c < c1; c++) out[c] += v * static_cast<double>(xr[c]);
    }
  });
}

}  // namespace cosae

namespace cosae {

namespace {

// x · y in float64. Four independent accumulators: one would chain every add on
// the previous one's latency, and this loop runs ~1M times a step.
inline double dot64(const float *__restrict x, const float *__restrict y, int64_t d) {
  int64_t c = 0;
  double s = 0;
#ifdef __AVX512F__
  __m512d a0 = _mm512_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
  for (; c + 32 <= d; c += 32) {
    a0 = _mm512_add_pd(a0, _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + c)), _mm512_cvtps_pd(_mm256_loadu_ps(y + c))));
    a1 = _mm512_add_pd(a1, _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + c + 8)), _mm512_cvtps_pd(_mm256_loadu_ps(y + c + 8))));
    a2 = _mm512_add_pd(a2, _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + c + 16)), _mm512_cvtps_pd(_mm256_loadu_ps(y + c + 16))));
    a3 = _mm512_add_pd(a3, _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + c + 24)), _mm512_cvtps_pd(_mm256_loadu_ps(y + c + 24))));
  }
  s = _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(a0, a1), _mm512_add_pd(a2, a3)));
#endif
  for (; c < d; c++) s += static_cast<double>(x[c]) * static_cast<double>(y[c]);
  return s;
}

}  // namespace

void latent_backward(const LatentView &o, const LatentBackwardArgs &a, int64_t d, bool overwrite) {
  for_latents(o, [&](int64_t j) {
    const float *__restrict dj = a.decoder + j * d;
    const float *__restrict wj = a.encoder + j * d;
    float *__restrict gd = a.grad_decoder + j * d;
    float *__restrict ge = a.grad_encoder + j * d;
    if (overwrite) {
      std::fill(gd, gd + d, 0.0f);
      std::fill(ge, ge + d, 0.0f);
    }
    for (int32_t e = o.start[j]; e < o.start[j + 1]; e++) {
      const int32_t i = o.entry[e];
      const int64_t t = o.token[e];
      // G_t: u = G_t · d_j, then ∂d_j += (z q) G_t while the row is in L1.
      const float *__restrict g = a.upstream + t * d;
      const double u = dot64(g, dj, d);
      const float dc = a.decoder_coef[i];
#pragma omp simd
      for (int64_t c = 0; c < d; c++) gd[c] += dc * g[c];
      // x_c,t: a = w_j · x_c,t, then ∂w_j += (u h) x_c,t.
      const float *__restrict x = a.xc + t * d;
      const double s = dot64(x, wj, d);
      const float ec = static_cast<float>(u * a.encoder_scale[i]);
#pragma omp simd
      for (int64_t c = 0; c < d; c++) ge[c] += ec * x[c];
      a.upstream_dot[i] = u;
      a.encoder_dot[i] = s;
    }
  });
}

}  // namespace cosae
