// Whole-parameter passes of a step: Adam, encoder row norms, and the decoder's
// unit-sphere constraint (tangent projection before the step, renormalisation
// after). Adam mirrors src/training/adam.ts operation for operation in float64.
#include <cmath>

#include "kernels.h"
#include "parallel.h"

namespace cosae {

void adam_update(float *param, const float *grad, float *first, float *second, int64_t n, const AdamStep &s) {
  parallel_for(n, 1 << 15, [&](int, int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; i++) {
      const double g = grad[i];
      const double m = s.beta1 * first[i] + s.one_minus_beta1 * g;
      const double v = s.beta2 * second[i] + s.one_minus_beta2 * g * g;
      first[i] = static_cast<float>(m);
      second[i] = static_cast<float>(v);
      param[i] = static_cast<float>(param[i] - (s.step * m) / (std::sqrt(v * s.correction2) + s.epsilon));
    }
  });
}

void row_norms(const float *w, int64_t m, int64_t d, double *out) {
  parallel_for(m, 256, [&](int, int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; j++) {
      const float *r = w + j * d;
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t c = 0; c < d; c++) s += static_cast<double>(r[c]) * r[c];
      out[j] = std::sqrt(s);
    }
  });
}

void project_to_tangent(const float *decoder, float *grad, int64_t m, int64_t d) {
  parallel_for(m, 256, [&](int, int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; j++) {
      const float *r = decoder + j * d;
      float *g = grad + j * d;
      double dot = 0;
#pragma omp simd reduction(+ : dot)
      for (int64_t c = 0; c < d; c++) dot += static_cast<double>(r[c]) * g[c];
      if (dot == 0) continue;
#pragma omp simd
      for (int64_t c = 0; c < d; c++) g[c] = static_cast<float>(g[c] - dot * r[c]);
    }
  });
}

void normalise_rows(float *decoder, int64_t m, int64_t d) {
  parallel_for(m, 256, [&](int, int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; j++) {
      float *r = decoder + j * d;
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t c = 0; c < d; c++) s += static_cast<double>(r[c]) * r[c];
      const double inv = s > 0 ? 1 / std::sqrt(s) : 0;
#pragma omp simd
      for (int64_t c = 0; c < d; c++) r[c] = static_cast<float>(r[c] * inv);
    }
  });
}

}  // namespace cosae
