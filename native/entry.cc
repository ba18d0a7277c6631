// The per-entry scalar math of the backward pass around latent_backward (see
// src/kernels/entry-terms.ts, which this mirrors expression for expression, in
// row order, so both give the same bits): a few flops per entry, against the ~4d
// of every entry's row work in latent_backward. The coefficients are per entry
// (threads own tokens); the sums run in one sequential pass, in row order.
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
        if (e.kind == ScoreKind::inner) {
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
  const bool inner = e.kind == ScoreKind::inner;
  const bool learns_alpha = e.kind == ScoreKind::blend || e.kind == ScoreKind::blend_feature;
  const auto add = [](float &to, double v) { to = static_cast<float>(to + v); };  // as `f32[i] += v` in JS
  for (int64_t t = 0; t < c.rows; t++) {
    const double n = e.norm[t];
    const double r = n / e.nu;
    const double log_r = e.log_ratio[t];
    for (int32_t i = c.row_start[t]; i < c.row_start[t + 1]; i++) {
      const int32_t j = c.index[i];
      const double z = c.value[i];
      const double u = upstream_dot[i];
      const double a = encoder_dot[i];
      const double q = e.scale ? e.scale[i] : 1;
      const double alpha_j = e.alpha[j];
      const double delta = q * u;
      float *grad_alpha = learns_alpha ? s.alpha + (e.kind == ScoreKind::blend ? 0 : j) : nullptr;
      if (e.equivariant && !inner) {
        if (learns_alpha) add(*grad_alpha, z * u * q * -log_r);
        s.norm[t] += (z * u * (1 - alpha_j) * q) / (r * e.nu);
      }
      add(s.bias[j], delta);
      s.encoder_coef_sum[j] += static_cast<float>(u * encoder_scale[i]);
      if (inner) continue;
      const double den = e.encoder_norm[j] * n + e.eps;
      const double gcf = (e.gain[j] * a * (e.power ? e.power[i] : 1)) / den;  // g c f
      add(s.log_gain[j], delta * gcf);
      if (learns_alpha) add(*grad_alpha, delta * gcf * log_r);
      s.encoder_norm[j] -= (delta * gcf * n) / den;
      s.norm[t] += delta * ((-gcf * e.encoder_norm[j]) / den + (gcf * alpha_j) / (r * e.nu));
    }
  }
}

}  // namespace cosae
