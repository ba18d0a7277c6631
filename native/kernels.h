// The native kernels behind src/kernels/native.ts. All matrices are row-major
// float32; latents are rows [m, d] of W (DESIGN §2 notation throughout).
#pragma once

#include <cstdint>
#include <vector>

namespace cosae {

// Compressed sparse rows, as SparseRows in src/kernels/arrays.ts.
struct Sparse {
  std::vector<int32_t> row_start;
  std::vector<int32_t> index;
  std::vector<float> value;
};

// --- dense product -----------------------------------------------------------
// out[rows, m] = x[rows, d] · wᵀ (OpenBLAS sgemm).
void dense_scores(const float *x, const float *w, int64_t rows, int64_t d, int64_t m, float *out);

// --- the score transform of DESIGN §2 ------------------------------------------
enum class ScoreKind { inner = 0, cosine = 1, blend = 2, blend_feature = 3 };

// Everything the transform a_tj → p_tj needs besides a.
struct ScoreSpec {
  ScoreKind kind;
  const float *bias;          // b_enc [m]
  const double *gain;         // g_j [m] (cosine family)
  const double *encoder_norm; // ‖w_j‖ [m]
  const double *alpha;        // α_j [m] (α_0 for blend)
  const double *norm;         // n_t = ‖x_c,t‖ [rows]
  double nu;
  double eps;
};

// In place: a becomes p.
void apply_score(float *a, int64_t rows, int64_t m, const ScoreSpec &spec);
// apply_score fused with the BatchTopK selection of `count` entries.
Sparse apply_score_select_batch_topk(float *a, int64_t rows, int64_t m, const ScoreSpec &spec,
                                     int64_t count);

// --- selection -------------------------------------------------------------------
Sparse select_batch_topk(const float *p, int64_t rows, int64_t m, int64_t count);
Sparse select_topk(const float *p, int64_t rows, int64_t m, int64_t k);
// TopK among the given columns only (AuxK over dead latents); indices are latent ids.
Sparse select_topk_among(const float *p, int64_t rows, int64_t m, const int32_t *columns,
                         int64_t column_count, int64_t k);
Sparse select_above_threshold(const float *p, int64_t rows, int64_t m, const double *threshold);

// --- sparse rows ---------------------------------------------------------------------
struct SparseView {
  int64_t rows;
  const int32_t *row_start;
  const int32_t *index;
  const float *value;
};
// out[t] += Σ value_i · w[index_i]
void sparse_decode(const SparseView &codes, const float *w, int64_t d, float *out);
// out[index_i] += value_i · x[t]
void sparse_accumulate(const SparseView &codes, const float *x, int64_t d, float *out);
// out_i = x[t] · w[index_i] in float64
void sparse_row_dot(const SparseView &codes, const float *x, const float *w, int64_t d, double *out);

// --- optimizer and decoder constraint ------------------------------------------------------
struct AdamStep {
  double beta1, beta2, one_minus_beta1, one_minus_beta2, step, correction2, epsilon;
};
void adam_update(float *param, const float *grad, float *first, float *second, int64_t n, const AdamStep &s);
void row_norms(const float *w, int64_t m, int64_t d, double *out);
void project_to_tangent(const float *decoder, float *grad, int64_t m, int64_t d);
void normalise_rows(float *decoder, int64_t m, int64_t d);

}  // namespace cosae
