// The first O(B·d) pass of a step (DESIGN §2): scale and centre the input.
#include <cmath>

#include "kernels.h"
#include "parallel.h"

namespace cosae {

// x̃ = x / s, x_c = x̃ − b_dec, n_t = ‖x_c,t‖, mirroring forward.ts: x̃ and x_c are
// rounded to float on store but the norm sums the unrounded float64 x_c, in order.
void centre_rows(const float *x, double inv_scale, const float *b_dec, int64_t rows, int64_t d, float *xs,
                 float *xc, double *norm) {
  parallel_for(rows, 64, [&](int, int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; t++) {
      const int64_t o = t * d;
      double s = 0;
      for (int64_t c = 0; c < d; c++) {
        const double v = x[o + c] * inv_scale;
        xs[o + c] = static_cast<float>(v);
        const double u = v - b_dec[c];
        xc[o + c] = static_cast<float>(u);
        s += u * u;
      }
      norm[t] = std::sqrt(s);
    }
  });
}

}  // namespace cosae
