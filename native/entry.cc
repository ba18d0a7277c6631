// The per-entry scalar math of the backward pass around latent_backward (see
// src/kernels/entry-terms.ts, which this mirrors expression for expression, in
// row order, so both give the same bits): a few flops per entry, against the ~4d
// of every entry's row work in latent_backward. The coefficients are per entry
// (threads own tokens); each sum keeps its row order, with threads owning its
// latents or tokens, so results do not depend on the thread count.
#include "kernels.h"
#include "parallel.h"

namespace cosae {

void entry_coefficients(const SparseView &c, const EntryTerms &e, float *decoder_coef, double *encoder_scale) {
  parallel_for(c.rows, 64, [&](int, int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; t++) {
      const double n = e.norm[t];
      for (int32_t i = c.row_start[t]; i < c.row_start[t + 1]; i++) {
        const int32_t j = c.index[i];
        const double q = e.scale ? e.scale[i] : 1;
        decoder_coef[i] = static_cast<float>(c.value[i] * q);
        if (!e.cosine) {
          encoder_scale[i] = q;
          continue;
        }
        const double f = e.power ? e.power[i] : 1;
        encoder_scale[i] = (q * e.gain[j] * f) / (e.encoder_norm[j] * n + e.eps);
      }
    }
  });
}

void entry_reductions(const SparseView &c, const EntryTerms &e, const double *upstream_dot,
                      const double *encoder_dot, const double *encoder_scale, const EntrySums &s) {
  const bool inner = !e.cosine;
  const bool learns_alpha = e.alpha_mode != AlphaMode::fixed;
  const bool global_alpha = e.alpha_mode == AlphaMode::global;  // one α for all latents
  const auto add = [](float &to, double v) { to = static_cast<float>(to + v); };  // as `f32[i] += v` in JS
  // Visits the entries of tokens t0 ≤ t < t1 in row order, adding the per-latent sums (∂b_enc, ∂γ,
  // ∂α_j, ∂‖w_j‖, C_j) of latents j0 ≤ j < j1, ∂n_t if `tokens`, and blend's one ∂α (a sum over
  // all entries, in row order) if `alpha`.
  const auto visit = [&](int64_t t0, int64_t t1, int64_t j0, int64_t j1, bool tokens, bool alpha) {
    for (int64_t t = t0; t < t1; t++) {
      const double n = e.norm[t];
      const double r = n / e.nu;
      const double log_r = e.log_ratio[t];
      for (int32_t i = c.row_start[t]; i < c.row_start[t + 1]; i++) {
        const int32_t j = c.index[i];
        const bool latent = j >= j0 && j < j1;
        const bool adds_alpha = learns_alpha && (global_alpha ? alpha : latent);
        if (!latent && !tokens && !adds_alpha) continue;
        const double z = c.value[i];
        const double u = upstream_dot[i];
        const double a = encoder_dot[i];
        const double q = e.scale ? e.scale[i] : 1;
        const double alpha_j = e.alpha[j];
        const double delta = q * u;
        float *grad_alpha = learns_alpha ? s.alpha + (global_alpha ? 0 : j) : nullptr;
        if (e.equivariant && !inner) {
          if (adds_alpha) add(*grad_alpha, z * u * q * -log_r);
          if (tokens) s.norm[t] += (z * u * (1 - alpha_j) * q) / (r * e.nu);
        }
        if (latent) {
          add(s.bias[j], delta);
          s.encoder_coef_sum[j] += static_cast<float>(u * encoder_scale[i]);
        }
        if (inner) continue;
        const double den = e.encoder_norm[j] * n + e.eps;
        const double gcf = (e.gain[j] * a * (e.power ? e.power[i] : 1)) / den;  // g c f
        if (latent) add(s.log_gain[j], delta * gcf);
        if (adds_alpha) add(*grad_alpha, delta * gcf * log_r);
        if (latent) s.encoder_norm[j] -= (delta * gcf * n) / den;
        if (tokens) s.norm[t] += delta * ((-gcf * e.encoder_norm[j]) / den + (gcf * alpha_j) / (r * e.nu));
      }
    }
  };
  // Each sum keeps its sequential order: per-latent sums in threads owning latent ranges (each
  // scanning all entries, blend's one ∂α in the first), then ∂n_t in threads owning tokens.
  const int64_t m = e.m;
  const int64_t nnz = c.row_start[c.rows];
  const int parts = parallel_parts(nnz, 256);
  parallel_for(parts, 1, [&](int, int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++) visit(0, c.rows, m * p / parts, m * (p + 1) / parts, false, p == 0);
  });
  parallel_for(c.rows, 16, [&](int, int64_t t0, int64_t t1) { visit(t0, t1, 0, 0, true, false); });
}

}  // namespace cosae
