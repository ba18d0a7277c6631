// Whole-parameter passes of a step: Adam, encoder row norms, and the decoder's
// unit-sphere constraint (tangent projection before the step, renormalisation
// after), separately or fused per decoder row. Adam mirrors src/kernels/adam.ts
// operation for operation in float64.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels.h"
#include "parallel.h"

namespace cosae {

namespace {

// Σ_c a_c b_c in float64. One helper for every row sum of this file, so the fused
// row pass below sums in exactly the order of the separate passes.
inline double row_dot(const float *__restrict a, const float *__restrict b, int64_t d) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t c = 0; c < d; c++) s += static_cast<double>(a[c]) * b[c];
  return s;
}

// Adam on n elements; `grad` is read as float, as adam.ts reads its Float32Array.
inline void adam_span(float *__restrict param, const float *__restrict grad, float *__restrict first,
                      float *__restrict second, int64_t n, const AdamStep &s) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) {
    const double g = grad[i];
    const double m = s.beta1 * first[i] + s.one_minus_beta1 * g;
    const double v = s.beta2 * second[i] + s.one_minus_beta2 * g * g;
    first[i] = static_cast<float>(m);
    second[i] = static_cast<float>(v);
    param[i] = static_cast<float>(param[i] - (s.step * m) / (std::sqrt(v * s.correction2) + s.epsilon));
  }
}

// g ← g − (d_j · g) d_j, skipped when the component is exactly 0.
inline void project_row(const float *__restrict r, float *__restrict g, int64_t d) {
  const double dot = row_dot(r, g, d);
  if (dot == 0) return;
#pragma omp simd
  for (int64_t c = 0; c < d; c++) g[c] = static_cast<float>(g[c] - dot * r[c]);
}

inline void normalise_row(float *__restrict r, int64_t d) {
  const double s = row_dot(r, r, d);
  const double inv = s > 0 ? 1 / std::sqrt(s) : 0;
#pragma omp simd
  for (int64_t c = 0; c < d; c++) r[c] = static_cast<float>(r[c] * inv);
}

}  // namespace

void adam_update(float *param, const float *grad, float *first, float *second, int64_t n, const AdamStep &s) {
  parallel_for(n, 1 << 15, [&](int, int64_t begin, int64_t end) {
    adam_span(param + begin, grad + begin, first + begin, second + begin, end - begin, s);
  });
}

// adam_update then row_norms of the updated rows, one row at a time while it is in
// L1: the same arithmetic per element and per row sum, so the same bits, without
// the next step's sweep over W_enc for ‖w_j‖.
void adam_update_row_norms(float *param, const float *grad, float *first, float *second, int64_t m, int64_t d,
                           const AdamStep &s, double *norms) {
  parallel_for(m, 256, [&](int, int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; j++) {
      const int64_t o = j * d;
      adam_span(param + o, grad + o, first + o, second + o, d, s);
      norms[j] = std::sqrt(row_dot(param + o, param + o, d));
    }
  });
}

void row_norms(const float *w, int64_t m, int64_t d, double *out) {
  parallel_for(m, 256, [&](int, int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; j++) out[j] = std::sqrt(row_dot(w + j * d, w + j * d, d));
  });
}

void project_to_tangent(const float *decoder, float *grad, int64_t m, int64_t d) {
  parallel_for(m, 256, [&](int, int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; j++) project_row(decoder + j * d, grad + j * d, d);
  });
}

void normalise_rows(float *decoder, int64_t m, int64_t d) {
  parallel_for(m, 256, [&](int, int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; j++) normalise_row(decoder + j * d, d);
  });
}

// project_to_tangent, adam_update and normalise_rows in one pass over each decoder
// row, while the row (12 bytes × d with its moments) is in L1: the same arithmetic
// per element, so the same bits, without three more sweeps over [m, d] arrays.
void adam_update_on_sphere(float *decoder, const float *grad, float *first, float *second, int64_t m, int64_t d,
                           const AdamStep &s) {
  parallel_for(m, 256, [&](int, int64_t begin, int64_t end) {
    std::vector<float> g(d);  // the projected gradient row; ∂W_dec itself is left as it was
    for (int64_t j = begin; j < end; j++) {
      const int64_t o = j * d;
      std::copy(grad + o, grad + o + d, g.begin());
      project_row(decoder + o, g.data(), d);
      adam_span(decoder + o, g.data(), first + o, second + o, d, s);
      normalise_row(decoder + o, d);
    }
  });
}

}  // namespace cosae
