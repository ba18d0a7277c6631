// O(B·k·d) kernels over sparse rows (codes): decode, gradient scatter, and the
// per-entry dot products of the backward pass. Each output element is written
// by one thread in the sequential order, so results never depend on timing.
#include <algorithm>

#include "kernels.h"
#include "parallel.h"

namespace cosae {

void sparse_decode(const SparseView &c, const float *w, int64_t d, float *out) {
  parallel_for(c.rows, 64, [&](int, int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; t++) {
      float *__restrict o = out + t * d;
      for (int32_t i = c.row_start[t]; i < c.row_start[t + 1]; i++) {
        const float v = c.value[i];
        const float *__restrict wr = w + static_cast<int64_t>(c.index[i]) * d;
#pragma omp simd
        for (int64_t k = 0; k < d; k++) o[k] += v * wr[k];
      }
    }
  });
}

void sparse_accumulate(const SparseView &c, const float *x, int64_t d, float *out) {
  // Transpose to latent-major order (stable, so each latent's tokens stay in t order),
  // then give each thread a range of latents with about the same number of entries.
  const int64_t nnz = c.row_start[c.rows];
  if (nnz == 0) return;
  int32_t max_index = 0;
  for (int64_t i = 0; i < nnz; i++) max_index = std::max(max_index, c.index[i]);
  const int64_t m = static_cast<int64_t>(max_index) + 1;
  std::vector<int64_t> start(m + 1, 0);
  for (int64_t i = 0; i < nnz; i++) start[c.index[i] + 1]++;
  for (int64_t j = 0; j < m; j++) start[j + 1] += start[j];
  std::vector<int32_t> token(nnz);
  std::vector<float> value(nnz);
  std::vector<int64_t> fill(start.begin(), start.end() - 1);
  for (int64_t t = 0; t < c.rows; t++) {
    for (int32_t i = c.row_start[t]; i < c.row_start[t + 1]; i++) {
      const int64_t at = fill[c.index[i]]++;
      token[at] = static_cast<int32_t>(t);
      value[at] = c.value[i];
    }
  }
  const int parts = parallel_parts(nnz, 256);
  std::vector<int64_t> first(parts + 1, m);
  first[0] = 0;
  for (int p = 1; p < parts; p++)
    first[p] = std::upper_bound(start.begin(), start.end(), nnz * p / parts) - start.begin() - 1;
  parallel_for(parts, 1, [&](int, int64_t pb, int64_t pe) {
    for (int64_t p = pb; p < pe; p++) {
      for (int64_t j = first[p]; j < first[p + 1]; j++) {
        float *__restrict o = out + j * d;
        for (int64_t e = start[j]; e < start[j + 1]; e++) {
          const float v = value[e];
          const float *__restrict xr = x + static_cast<int64_t>(token[e]) * d;
#pragma omp simd
          for (int64_t k = 0; k < d; k++) o[k] += v * xr[k];
        }
      }
    }
  });
}

}  // namespace cosae
