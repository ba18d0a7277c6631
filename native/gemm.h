// cosae's own single-precision product, used when the addon is built without
// OpenBLAS (or with COSAE_BLAS=0): out = x · wᵀ, row-major, as dense.cc needs it.
#pragma once

#include <cstdint>

namespace cosae {

// out[rows, m] = x[rows, d] · w[m, d]ᵀ. Every element is one chain of fused
// multiply-adds over k = 0 … d−1 in order (a multiply then an add on the portable
// path), so its bits depend on neither the tiling nor the thread count.
void own_sgemm_xwt(const float *x, const float *w, int64_t rows, int64_t d, int64_t m, float *out);

// The micro-kernel compiled in: "avx512" or "portable".
const char *own_sgemm_kernel();

}  // namespace cosae
