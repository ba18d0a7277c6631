// The O(B·d) passes of the loss (DESIGN §3) around the decode: the residual and
// its upstream gradient, and Σ‖v_t − v̄‖². Every sum runs in an order that does
// not depend on the thread count (per token, or per column), so results are the
// same for any number of threads.
#include <algorithm>

#include "kernels.h"
#include "parallel.h"

namespace cosae {

void residual_upstream(const float *target, float *estimate, const double *weight, int64_t rows, int64_t d,
                       double coef, float *upstream, double *token_sse) {
  parallel_for(rows, 64, [&](int, int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; t++) {
      const float *__restrict x = target + t * d;
      float *__restrict e = estimate + t * d;
      float *__restrict g = upstream + t * d;
      const double scale = coef * weight[t];
      double s = 0;
      for (int64_t c = 0; c < d; c++) {
        const float v = x[c] - e[c];
        e[c] = v;
        s += static_cast<double>(v) * v;
        g[c] = static_cast<float>(scale * v);
      }
      token_sse[t] = s;
    }
  });
}

double centred_sum_of_squares(const float *v, int64_t rows, int64_t d) {
  std::vector<double> column(d);
  parallel_for(d, 16, [&](int, int64_t c0, int64_t c1) {
    std::vector<double> mean(c1 - c0, 0.0), ss(c1 - c0, 0.0);
    for (int64_t t = 0; t < rows; t++)
      for (int64_t c = c0; c < c1; c++) mean[c - c0] += v[t * d + c];
    for (int64_t c = c0; c < c1; c++) mean[c - c0] /= static_cast<double>(rows);
    for (int64_t t = 0; t < rows; t++)
      for (int64_t c = c0; c < c1; c++) {
        const double u = v[t * d + c] - mean[c - c0];
        ss[c - c0] += u * u;
      }
    std::copy(ss.begin(), ss.end(), column.begin() + c0);
  });
  double s = 0;
  for (double x : column) s += x;
  return s;
}

}  // namespace cosae
