// RoPE angles and rotation. Follows ggml's arithmetic (theta advanced by repeated float
// multiplication, YaRN ramp on the pair index) so that positions give the same values.
#include "kernels/rope.h"

#include <algorithm>
#include <cmath>

namespace hearth::kernels {
namespace {

// The dimension at which the rotation completes `n_rot` turns over the original context.
float yarn_corr_dim(int n_dims, int n_ctx_orig, float n_rot, float base) {
  return n_dims * std::log(n_ctx_orig / (n_rot * 2.0f * 3.14159265358979323846f)) /
         (2.0f * std::log(base));
}

float yarn_ramp(float low, float high, int i0) {
  float y = (i0 / 2 - low) / std::max(0.001f, high - low);
  return 1.0f - std::min(1.0f, std::max(0.0f, y));
}

}  // namespace

void rope_angles(const RopeParams& p, int64_t pos, float* cos_sin) {
  const float theta_scale = std::pow(p.freq_base, -2.0f / p.n_dims);
  float corr_low = 0, corr_high = 0;
  if (p.ext_factor != 0.0f) {
    corr_low =
        std::max(0.0f, std::floor(yarn_corr_dim(p.n_dims, p.n_ctx_orig, p.beta_fast, p.freq_base)));
    corr_high =
        std::min(static_cast<float>(p.n_dims - 1),
                 std::ceil(yarn_corr_dim(p.n_dims, p.n_ctx_orig, p.beta_slow, p.freq_base)));
  }
  float theta = static_cast<float>(pos);
  for (int i0 = 0; i0 < p.n_dims; i0 += 2) {
    const float factor = p.freq_factors ? p.freq_factors[i0 / 2] : 1.0f;
    const float theta_extrap = theta / factor;
    float angle = p.freq_scale * theta_extrap;
    float mscale = p.attn_factor;
    if (p.ext_factor != 0.0f) {
      const float mix = yarn_ramp(corr_low, corr_high, i0) * p.ext_factor;
      angle = angle * (1 - mix) + theta_extrap * mix;
      mscale *= 1.0f + 0.1f * std::log(1.0f / p.freq_scale);
    }
    cos_sin[i0] = std::cos(angle) * mscale;
    cos_sin[i0 + 1] = std::sin(angle) * mscale;
    theta *= theta_scale;
  }
}

void rope_apply(const RopeParams& p, const float* cos_sin, int64_t n_heads, int64_t head_dim,
                float* x) {
  const int half = p.n_dims / 2;
  for (int64_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim;  // (head_dim)
    for (int i = 0; i < half; ++i) {
      const float c = cos_sin[2 * i], s = cos_sin[2 * i + 1];
      const int a = p.neox ? i : 2 * i;
      const int b = p.neox ? i + half : 2 * i + 1;
      const float x0 = v[a], x1 = v[b];
      v[a] = x0 * c - x1 * s;
      v[b] = x0 * s + x1 * c;
    }
  }
}

}  // namespace hearth::kernels
