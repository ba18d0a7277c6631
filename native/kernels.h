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
// out[rows, m] = x[rows, d] · wᵀ (OpenBLAS sgemm, or cosae's own in gemm.cc).
void dense_scores(const float *x, const float *w, int64_t rows, int64_t d, int64_t m, float *out);
// The product dense_scores uses: "openblas" or "cosae".
const char *dense_product();
int64_t advise_huge_pages(void *p, int64_t bytes);

// --- the score transform of DESIGN §2 ------------------------------------------
// A score's facts, resolved in TypeScript (src/kernels/score-family.ts): the addon never sees a score's name.
// How α is held: fixed (1 for inner, 0 for cosine), one learned α, or one per latent.
enum class AlphaMode { fixed = 0, global = 1, per_latent = 2 };

// Everything the transform a_tj → p_tj needs besides a.
struct ScoreSpec {
  bool cosine;                // the cosine family (else p = a + b)
  AlphaMode alpha_mode;
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

// --- latent-ordered backward (latent.cc) -----------------------------------------
// The codes transposed: latent j's entries are start[j] ≤ e < start[j+1], in token
// order; entry[e] is the entry's position in the row-ordered codes, token[e] its row.
struct LatentOrder {
  std::vector<int32_t> start, entry, token;
};
struct LatentView {
  int64_t m;
  const int32_t *start, *entry, *token;
};
LatentOrder transpose_codes(const SparseView &codes, int64_t m);
// The fused backward pass over each latent j's entries i = (t, j), reading G_t and
// x_c,t once each: u_i = G_t · d_j, a_i = x_c,t · w_j, ∂d_j += zq_i G_t,
// ∂w_j += float(u_i h_i) x_c,t (δ = q u and the encoder coefficient δ g f/(‖w‖n+ε) = u h).
struct LatentBackwardArgs {
  int64_t rows;                                     // tokens
  const float *upstream, *decoder, *decoder_coef;  // G [rows, d], W_dec [m, d], z q [nnz]
  const float *xc, *encoder;                        // x_c [rows, d], W_enc [m, d]
  const double *encoder_scale;                      // h [nnz]
  float *grad_decoder, *grad_encoder;               // [m, d]
  double *upstream_dot, *encoder_dot;               // u, a [nnz]
};
void latent_backward(const LatentView &o, const LatentBackwardArgs &args, int64_t d, bool overwrite);
// The per-entry scalar math around latent_backward (entry.cc; src/kernels/entry-terms.ts).
struct EntryTerms {
  bool cosine;
  AlphaMode alpha_mode;
  bool equivariant;
  int64_t m;                                     // latents
  double nu, eps;
  const double *norm, *log_ratio;                // n_t, ln r_t [rows]
  const double *gain, *encoder_norm, *alpha;     // g_j, ‖w_j‖, α_j [m]
  const double *scale, *power;                   // q, f [nnz]; null: all 1
};
struct EntrySums {
  float *bias, *log_gain, *alpha;                // ∂b_enc, ∂γ [m], ∂α [1 or m]
  double *norm, *encoder_norm, *encoder_coef_sum; // ∂n [rows], ∂‖w‖, C [m]
};
// decoder_coef_i = z q, encoder_scale_i = h
void entry_coefficients(const SparseView &codes, const EntryTerms &e, float *decoder_coef, double *encoder_scale);
// Adds every entry's terms into s, each sum in row order.
void entry_reductions(const SparseView &codes, const EntryTerms &e, const double *upstream_dot,
                      const double *encoder_dot, const double *encoder_scale, const EntrySums &s);
// out[c] += Σ_i coef_i · x[i, c] in float64 (rows with coef 0 skipped)
void weighted_row_sum(const float *x, const double *coef, int64_t n, int64_t d, double *out);

// --- loss passes (residual.cc) ------------------------------------------------------
// estimate becomes e = target − estimate; upstream = coef · weight_t · e; token_sse[t] = Σ e² (float64).
void residual_upstream(const float *target, float *estimate, const double *weight, int64_t rows, int64_t d,
                       double coef, float *upstream, double *token_sse);
// Σ_t ‖v_t − v̄‖² in float64.
double centred_sum_of_squares(const float *v, int64_t rows, int64_t d);

// --- optimizer and decoder constraint ------------------------------------------------------
struct AdamStep {
  double beta1, beta2, one_minus_beta1, one_minus_beta2, step, correction2, epsilon;
};
void adam_update(float *param, const float *grad, float *first, float *second, int64_t n, const AdamStep &s);
void row_norms(const float *w, int64_t m, int64_t d, double *out);
// adam_update of W[m, d], then row_norms of the updated rows into norms (same bits, one pass).
void adam_update_row_norms(float *param, const float *grad, float *first, float *second, int64_t m, int64_t d,
                           const AdamStep &s, double *norms);
void project_to_tangent(const float *decoder, float *grad, int64_t m, int64_t d);
void normalise_rows(float *decoder, int64_t m, int64_t d);
// project_to_tangent, adam_update, normalise_rows fused per decoder row (same bits; grad is not modified).
void adam_update_on_sphere(float *decoder, const float *grad, float *first, float *second, int64_t m, int64_t d,
                           const AdamStep &s);

// --- input (centre.cc) ---------------------------------------------------------------------
// xs = x · inv_scale, xc = xs − b_dec, norm[t] = ‖xc_t‖ (the unrounded float64 values, as forward.ts).
void centre_rows(const float *x, double inv_scale, const float *b_dec, int64_t rows, int64_t d, float *xs,
                 float *xc, double *norm);

}  // namespace cosae
