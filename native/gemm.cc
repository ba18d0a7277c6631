// A blocked, packed sgemm for the score product X·Wᵀ (GotoBLAS/BLIS structure).
//
// C is row-major [rows, m] and both operands are row-major with k contiguous, so
// the vectors run along m (rows of W) and x is broadcast. Each tile of C is
// MR rows × NR columns, held in registers over a block of k:
//   x is packed once per call into panels of MR rows, k-major (MR floats per k);
//   w is packed by each thread, a block of panels at a time that fits in L2
//   (NR floats per k), so every tile streams its w panel from L2 and its x panel
//   (one k-block, ≤ 21 KiB) stays in L1 across the block's w panels.
// The k-blocks of one row panel run back to back, so the MR × block tile group of
// C is still in cache when the next k-block reloads it: C is written to memory once.
// Threads take fixed contiguous ranges of w panels (or of x panels when m is small),
// and every element is the same in-order FMA chain whatever the range, so the
// result is bit-identical for any thread count.
#include "gemm.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "parallel.h"

#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace cosae {

namespace {

#ifdef __AVX512F__
constexpr int64_t MR = 14;  // 14 × 2 accumulators + 2 w vectors; x comes as an embedded broadcast
constexpr int64_t NR = 32;  // two 16-lane vectors
#else
constexpr int64_t MR = 6;   // 6 × 2 accumulators of 8 lanes + 2 w vectors + 1 broadcast: 15 of AVX2's 16 registers
constexpr int64_t NR = 16;
#endif

// k-blocks of at most this many: an x panel of one block (MR × 384 × 4 B = 21 KiB) stays in L1.
constexpr int64_t kc_max = 384;
// Packed w per block: 768 KiB, inside L2 (1 MiB on Zen 4, 1.25–2 MiB on Ice Lake / Sapphire Rapids).
constexpr int64_t w_block_floats = 196608;

struct FreeAligned {
  void operator()(float *p) const { std::free(p); }
};
using Buffer = std::unique_ptr<float, FreeAligned>;

Buffer allocate(int64_t floats) {
  const size_t bytes = (static_cast<size_t>(floats) * sizeof(float) + 63) / 64 * 64 + 64;
  void *p = std::aligned_alloc(64, bytes);
  if (!p) throw std::bad_alloc();
  return Buffer(static_cast<float *>(p));
}

// The packed x, kept between calls (the step's shape repeats; a fresh 12 MiB
// allocation would fault its pages in again every step). One per calling thread
// (each JavaScript thread that loads the addon), resized only by it.
thread_local Buffer packed_x;
thread_local int64_t packed_x_floats = 0;

// Panel p of x: MR rows from `row`, k-major, rows past the end zero.
void pack_x_panel(const float *x, int64_t rows, int64_t d, int64_t row, float *dst) {
  const int64_t mr = std::min(MR, rows - row);
  for (int64_t k = 0; k < d; k++) {
    float *to = dst + k * MR;
    for (int64_t r = 0; r < mr; r++) to[r] = x[(row + r) * d + k];
    for (int64_t r = mr; r < MR; r++) to[r] = 0.0f;
  }
}

// Panel q of w: NR rows from `col`, k-major, rows past the end zero. Reads each
// row sequentially; writes stride NR, within a 32 × NR-float window that stays in L1.
void pack_w_panel(const float *w, int64_t m, int64_t d, int64_t col, float *dst) {
  const int64_t nr = std::min(NR, m - col);
  for (int64_t c = 0; c < nr; c++) {
    const float *from = w + (col + c) * d;
    for (int64_t k = 0; k < d; k++) dst[k * NR + c] = from[k];
  }
  for (int64_t c = nr; c < NR; c++)
    for (int64_t k = 0; k < d; k++) dst[k * NR + c] = 0.0f;
}

#ifdef __AVX512F__

// C[MR, NR] (+)= xp · wp over kc; ldc floats between rows of C.
template <bool accumulate>
inline void tile(const float *__restrict xp, const float *__restrict wp, int64_t kc, float *__restrict c,
                 int64_t ldc) {
  __m512 acc[MR][2];
#pragma GCC unroll 14
  for (int64_t r = 0; r < MR; r++) {
    acc[r][0] = accumulate ? _mm512_loadu_ps(c + r * ldc) : _mm512_setzero_ps();
    acc[r][1] = accumulate ? _mm512_loadu_ps(c + r * ldc + 16) : _mm512_setzero_ps();
  }
  for (int64_t k = 0; k < kc; k++) {
    const __m512 w0 = _mm512_load_ps(wp + k * NR);
    const __m512 w1 = _mm512_load_ps(wp + k * NR + 16);
#pragma GCC unroll 14
    for (int64_t r = 0; r < MR; r++) {
      const __m512 xr = _mm512_set1_ps(xp[k * MR + r]);
      acc[r][0] = _mm512_fmadd_ps(xr, w0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(xr, w1, acc[r][1]);
    }
  }
#pragma GCC unroll 14
  for (int64_t r = 0; r < MR; r++) {
    _mm512_storeu_ps(c + r * ldc, acc[r][0]);
    _mm512_storeu_ps(c + r * ldc + 16, acc[r][1]);
  }
}

#else

// The portable tile, in GCC/Clang vector extensions (8 lanes: two AVX2 registers
// per row of the tile, or pairs of SSE/NEON registers, or scalars). With
// -ffp-contract=off each step is a multiply then an add, in one fixed order.
typedef float lanes8 __attribute__((vector_size(32)));

inline lanes8 load8(const float *p) {
  lanes8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store8(float *p, lanes8 v) { std::memcpy(p, &v, sizeof v); }

template <bool accumulate>
inline void tile(const float *__restrict xp, const float *__restrict wp, int64_t kc, float *__restrict c,
                 int64_t ldc) {
  lanes8 acc[MR][2];
  for (int64_t r = 0; r < MR; r++) {
    acc[r][0] = accumulate ? load8(c + r * ldc) : lanes8{};
    acc[r][1] = accumulate ? load8(c + r * ldc + 8) : lanes8{};
  }
  for (int64_t k = 0; k < kc; k++) {
    const lanes8 w0 = load8(wp + k * NR), w1 = load8(wp + k * NR + 8);
    for (int64_t r = 0; r < MR; r++) {
      const float xr = xp[k * MR + r];
      acc[r][0] += xr * w0;
      acc[r][1] += xr * w1;
    }
  }
  for (int64_t r = 0; r < MR; r++) {
    store8(c + r * ldc, acc[r][0]);
    store8(c + r * ldc + 8, acc[r][1]);
  }
}

#endif

// A tile cut by the edge of C (mr < MR or nr < NR): through a full-size copy.
void edge_tile(const float *xp, const float *wp, int64_t kc, bool accumulate, float *c, int64_t ldc, int64_t mr,
               int64_t nr) {
  alignas(64) float part[MR * NR] = {};
  if (accumulate)
    for (int64_t r = 0; r < mr; r++) std::memcpy(part + r * NR, c + r * ldc, nr * sizeof(float));
  if (accumulate)
    tile<true>(xp, wp, kc, part, NR);
  else
    tile<false>(xp, wp, kc, part, NR);
  for (int64_t r = 0; r < mr; r++) std::memcpy(c + r * ldc, part + r * NR, nr * sizeof(float));
}

// C for x panels [p0, p1) × w panels [q0, q1), w packed here block by block.
void product_range(const float *xp_all, const float *w, int64_t rows, int64_t d, int64_t m, float *out, int64_t p0,
                   int64_t p1, int64_t q0, int64_t q1) {
  const int64_t k_blocks = (d + kc_max - 1) / kc_max;
  const int64_t kc = (d + k_blocks - 1) / k_blocks;  // balanced blocks: 512 → 2 × 256, 768 → 2 × 384
  const int64_t block_panels = std::max<int64_t>(1, w_block_floats / (NR * d));
  Buffer wp = allocate(std::min(block_panels, q1 - q0) * NR * d);
  for (int64_t qb = q0; qb < q1; qb += block_panels) {
    const int64_t qe = std::min(q1, qb + block_panels);
    for (int64_t q = qb; q < qe; q++) pack_w_panel(w, m, d, q * NR, wp.get() + (q - qb) * NR * d);
    for (int64_t p = p0; p < p1; p++) {
      const int64_t row = p * MR, mr = std::min(MR, rows - row);
      for (int64_t k0 = 0; k0 < d; k0 += kc) {
        const int64_t kn = std::min(kc, d - k0);
        const float *xp = xp_all + p * MR * d + k0 * MR;
        for (int64_t q = qb; q < qe; q++) {
          const int64_t col = q * NR, nr = std::min(NR, m - col);
          const float *wq = wp.get() + (q - qb) * NR * d + k0 * NR;
          float *c = out + row * m + col;
          if (mr == MR && nr == NR) {
            if (k0 == 0)
              tile<false>(xp, wq, kn, c, m);
            else
              tile<true>(xp, wq, kn, c, m);
          } else {
            edge_tile(xp, wq, kn, k0 > 0, c, m, mr, nr);
          }
        }
      }
    }
  }
}

}  // namespace

const char *own_sgemm_kernel() {
#ifdef __AVX512F__
  return "avx512";
#else
  return "portable";
#endif
}

void own_sgemm_xwt(const float *x, const float *w, int64_t rows, int64_t d, int64_t m, float *out) {
  if (rows <= 0 || m <= 0) return;
  if (d <= 0) {
    std::fill(out, out + rows * m, 0.0f);
    return;
  }
  const int64_t x_panels = (rows + MR - 1) / MR, w_panels = (m + NR - 1) / NR;
  const int64_t floats = x_panels * MR * d;
  if (floats > packed_x_floats) {
    packed_x = allocate(floats);
    packed_x_floats = floats;
  }
  float *xp = packed_x.get();
  parallel_for(x_panels, std::max<int64_t>(1, 65536 / (MR * d)), [&](int, int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; p++) pack_x_panel(x, rows, d, p * MR, xp + p * MR * d);
  });
  // Enough w panels per thread: split m (each thread packs only its own w); else split the rows.
  const int64_t tile_flops = 2 * MR * NR * d;
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 22) / (tile_flops * x_panels));
  if (w_panels >= 2 * static_cast<int64_t>(thread_count()) || w_panels < 2) {
    parallel_for(w_panels, grain, [&](int, int64_t begin, int64_t end) {
      product_range(xp, w, rows, d, m, out, 0, x_panels, begin, end);
    });
  } else {
    parallel_for(x_panels, std::max<int64_t>(1, (int64_t{1} << 22) / (tile_flops * w_panels)),
                 [&](int, int64_t begin, int64_t end) {
                   product_range(xp, w, rows, d, m, out, begin, end, 0, w_panels);
                 });
  }
}

}  // namespace cosae
