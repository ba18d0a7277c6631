// The one O(B·m·d) product of a step, through OpenBLAS: A = X · Wᵀ.
#include <cblas.h>

#include "kernels.h"
#include "parallel.h"

namespace cosae {

namespace {
int threads = 0;
}

int thread_count() { return threads; }

void set_thread_count(int n) {
  threads = n > 0 ? n : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  openblas_set_num_threads(threads);
}

void dense_scores(const float *x, const float *w, int64_t rows, int64_t d, int64_t m, float *out) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(m),
              static_cast<int>(d), 1.0f, x, static_cast<int>(d), w, static_cast<int>(d), 0.0f, out,
              static_cast<int>(m));
}

}  // namespace cosae
