// Latent-ordered (CSC) passes of the backward step (DESIGN §3: everything after
// the score matrix is O(B·k·d)). The codes are transposed once so that each
// latent's entries lie together, in token order; then each W row is read once
// and each gradient row written once, with threads owning ranges of latents of
// about equal entry counts — no two threads write the same row, and every sum
// runs in the sequential order, so results never depend on timing. Blocks of
// latents (latent_block) change only the order in which rows are visited.
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

// Calls body(j0, j1) once per thread, threads owning contiguous latent ranges of
// about equal work (entries, plus one per latent for the row itself).
template <typename Body>
void for_latent_ranges(const LatentView &o, Body body) {
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
    for (int64_t p = pb; p < pe; p++) body(first[p], first[p + 1]);
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

// x · y in float64 for a float x and a y already widened to float64 (the latent's
// row, widened once for all its entries: half the conversions). Four independent
// accumulators: one would chain every add on the previous one's latency. A product
// of two floats is exact in float64, so the fused multiply-add rounds exactly as
// a multiply then an add would.
inline double dot64(const float *__restrict x, const double *__restrict y, int64_t d) {
  int64_t c = 0;
  double s = 0;
#ifdef __AVX512F__
  __m512d a0 = _mm512_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
  for (; c + 32 <= d; c += 32) {
    a0 = _mm512_fmadd_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + c)), _mm512_loadu_pd(y + c), a0);
    a1 = _mm512_fmadd_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + c + 8)), _mm512_loadu_pd(y + c + 8), a1);
    a2 = _mm512_fmadd_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + c + 16)), _mm512_loadu_pd(y + c + 16), a2);
    a3 = _mm512_fmadd_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + c + 24)), _mm512_loadu_pd(y + c + 24), a3);
  }
  s = _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(a0, a1), _mm512_add_pd(a2, a3)));
#endif
  for (; c < d; c++) s += static_cast<double>(x[c]) * y[c];
  return s;
}

// The work of one entry i = (t, j) given latent j's rows widened to float64.
inline void entry_backward(const LatentBackwardArgs &a, int64_t d, int32_t i, int64_t t, int64_t j,
                           const double *__restrict dj, const double *__restrict wj) {
  float *__restrict gd = a.grad_decoder + j * d;
  float *__restrict ge = a.grad_encoder + j * d;
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

// Latents per block when tokens have many entries (AuxK of the cosine family:
// ~190 of a token's dead scores are positive). Going latent by latent, every
// entry fetches its G_t and x_c,t rows from L3 (nnz · 8d bytes); going token by
// token over a block of latents whose rows stay in L2 (20d bytes each, 2 MiB a
// block measured best) fetches them once per block instead (rows · 8d bytes).
// Each latent still meets its entries in token order, so the results are the
// same. 0: latent by latent.
int64_t latent_block(const LatentView &o, int64_t rows, int64_t d) {
  const int64_t block = std::max<int64_t>(8, (int64_t{2} << 20) / (20 * d));  // ~2 MiB of latent rows
  int64_t active = 0;
  for (int64_t j = 0; j < o.m; j++) active += o.start[j + 1] > o.start[j];
  // Blocks win when a token has more entries than there are blocks (twice, for the
  // latent rows' own traffic and the regrouping).
  return o.start[o.m] >= 2 * rows * (active / block + 1) ? block : 0;
}

}  // namespace

void latent_backward(const LatentView &o, const LatentBackwardArgs &a, int64_t d, bool overwrite) {
  const int64_t rows = a.rows;
  const int64_t block = latent_block(o, rows, d);
  for_latent_ranges(o, [&](int64_t j0, int64_t j1) {
    if (overwrite) {
      std::fill(a.grad_decoder + j0 * d, a.grad_decoder + j1 * d, 0.0f);
      std::fill(a.grad_encoder + j0 * d, a.grad_encoder + j1 * d, 0.0f);
    }
    if (block == 0) {
      std::vector<double> dj(d), wj(d);  // d_j and w_j widened to float64 once for all their entries
      for (int64_t j = j0; j < j1; j++) {
        if (o.start[j] == o.start[j + 1]) continue;
        std::copy(a.decoder + j * d, a.decoder + (j + 1) * d, dj.begin());
        std::copy(a.encoder + j * d, a.encoder + (j + 1) * d, wj.begin());
        for (int32_t e = o.start[j]; e < o.start[j + 1]; e++)
          entry_backward(a, d, o.entry[e], o.token[e], j, dj.data(), wj.data());
      }
      return;
    }
    std::vector<double> dw(2 * block * d);  // the block's d_j and w_j, widened
    std::vector<int32_t> first(rows + 1), bucket, bucket_latent;
    for (int64_t b0 = j0; b0 < j1; b0 += block) {
      const int64_t b1 = std::min(j1, b0 + block);
      // Regroup the block's entries by token (counting sort; latents ascending within a token).
      std::fill(first.begin(), first.end(), 0);
      for (int32_t e = o.start[b0]; e < o.start[b1]; e++) first[o.token[e] + 1]++;
      for (int64_t t = 0; t < rows; t++) first[t + 1] += first[t];
      bucket.resize(o.start[b1] - o.start[b0]);
      bucket_latent.resize(bucket.size());
      for (int64_t j = b0; j < b1; j++) {
        std::copy(a.decoder + j * d, a.decoder + (j + 1) * d, dw.begin() + 2 * (j - b0) * d);
        std::copy(a.encoder + j * d, a.encoder + (j + 1) * d, dw.begin() + (2 * (j - b0) + 1) * d);
        for (int32_t e = o.start[j]; e < o.start[j + 1]; e++) {
          const int32_t at = first[o.token[e]]++;
          bucket[at] = e;
          bucket_latent[at] = static_cast<int32_t>(j);
        }
      }
      for (int64_t t = rows; t > 0; t--) first[t] = first[t - 1];  // back to each token's start
      first[0] = 0;
      for (int64_t t = 0; t < rows; t++) {
        for (int32_t k = first[t]; k < first[t + 1]; k++) {
          const int64_t j = bucket_latent[k];
          const double *r = dw.data() + 2 * (j - b0) * d;
          entry_backward(a, d, o.entry[bucket[k]], t, j, r, r + d);
        }
      }
    }
  });
}

}  // namespace cosae
