// The one O(B·m·d) product of a step, A = X · Wᵀ: OpenBLAS's sgemm when the
// addon was built with it (COSAE_OPENBLAS, defined by binding.gyp after
// scripts/build-native.mjs found cblas.h and libopenblas), else cosae's own (gemm.cc).
#ifdef COSAE_OPENBLAS
#include <cblas.h>
#endif
#include <sys/mman.h>

#include <cstdint>

#include "gemm.h"
#include "kernels.h"
#include "parallel.h"

namespace cosae {

namespace {
int threads = 0;
}

int thread_count() { return threads; }

void set_thread_count(int n) {
  threads = n > 0 ? n : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
#ifdef COSAE_OPENBLAS
  openblas_set_num_threads(threads);
#endif
}

const char *dense_product() {
#ifdef COSAE_OPENBLAS
  return "openblas";
#else
  return "cosae";
#endif
}

void dense_scores(const float *x, const float *w, int64_t rows, int64_t d, int64_t m, float *out) {
#ifdef COSAE_OPENBLAS
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(m),
              static_cast<int>(d), 1.0f, x, static_cast<int>(d), w, static_cast<int>(d), 0.0f, out,
              static_cast<int>(m));
#else
  own_sgemm_xwt(x, w, rows, d, m, out);
#endif
}

// Asks for transparent huge pages on the 2 MiB-aligned interior of a buffer not yet
// written (where THP is "madvise", the default on Debian). The product writes the
// 256 MiB score matrix at 4 KiB pages otherwise, and the TLB misses cost ≈ 10% of
// it. Only the mapping changes, never a value; returns the bytes advised (0 if the
// kernel refused or the buffer holds no aligned 2 MiB span).
int64_t advise_huge_pages(void *p, int64_t bytes) {
  constexpr uintptr_t huge = uintptr_t{2} << 20;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + huge - 1) & ~(huge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + static_cast<uintptr_t>(bytes)) & ~(huge - 1);
  if (bytes <= 0 || end <= begin) return 0;
#ifdef MADV_HUGEPAGE
  if (madvise(reinterpret_cast<void *>(begin), end - begin, MADV_HUGEPAGE) == 0) return static_cast<int64_t>(end - begin);
#endif
  return 0;
}

}  // namespace cosae
