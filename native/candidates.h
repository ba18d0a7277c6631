// BatchTopK's candidate list: entries of P above a lower bound on the cut,
// collected piece by piece (fixed row ranges) and concatenated in row order,
// so ties at the cut are broken by position exactly as the reference does.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "kernels.h"
#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace cosae {

struct Candidates {
  std::vector<float> value;
  std::vector<int64_t> position;  // t·m + j
  int64_t count = 0;

  // Appends the entries of p[0, n) (at offset `base`) that are > max(bound, 0), without branches.
  void collect(const float *p, int64_t n, int64_t base, float bound) {
    if (static_cast<int64_t>(value.size()) < count + n) {
      value.resize(std::max<int64_t>(2 * value.size(), count + n));
      position.resize(value.size());
    }
    float *v = value.data();
    int64_t *at = position.data();
    int64_t c = count;
    int64_t i = 0;
#ifdef __AVX512F__
    // Candidates are rare (≈ 2·k/m of the entries): compare 16 at a time, visit set bits in order.
    const __m512 cut = _mm512_set1_ps(std::max(bound, 0.0f));
    for (; i + 16 <= n; i += 16) {
      uint32_t mask = _mm512_cmp_ps_mask(_mm512_loadu_ps(p + i), cut, _CMP_GT_OQ);
      while (mask) {
        const int b = __builtin_ctz(mask);
        mask &= mask - 1;
        v[c] = p[i + b];
        at[c++] = base + i + b;
      }
    }
#endif
    for (; i < n; i++) {
      const float x = p[i];
      v[c] = x;
      at[c] = base + i;
      c += (x > bound) & (x > 0.0f);
    }
    count = c;
  }
};

// A value below which (with a wide margin) no winner of the top `count` lies, from a
// strided sample of `sample_at(i)`; 0 if unsure. Same sample and rank as select.ts.
template <typename SampleAt>
float sampled_lower_bound(int64_t total, int64_t count, SampleAt sample_at);

// Exact BatchTopK from candidates gathered in position order.
Sparse finish_batch_topk(std::vector<Candidates> &parts, int64_t rows, int64_t m, int64_t count);

// Collects candidates of p above bound, rows split over the threads.
std::vector<Candidates> collect_parallel(const float *p, int64_t rows, int64_t m, float bound);

template <typename SampleAt>
float sampled_lower_bound(int64_t total, int64_t count, SampleAt sample_at) {
  if (!(count < total / 4.0)) return 0.0f;
  const int64_t samples = std::min<int64_t>(total, 16384);
  std::vector<double> sample(samples);
  uint32_t h = 0x9e3779b9u;
  for (int64_t s = 0; s < samples; s++) {
    h = h * 1664525u + 1013904223u;  // the LCG of select.ts
    sample[s] = sample_at(static_cast<int64_t>(h % static_cast<uint64_t>(total)));
  }
  const int64_t rank = std::min<int64_t>(
      samples, static_cast<int64_t>(std::ceil((2.0 * count * samples) / total)) + 64);
  std::nth_element(sample.begin(), sample.begin() + (rank - 1), sample.end(), std::greater<double>());
  const double v = sample[rank - 1];
  return v > 0 ? static_cast<float>(v) : 0.0f;  // also maps NaN to 0
}

}  // namespace cosae
