// Rotary position embedding (RoPE), as ggml computes it: normal (adjacent pairs) and neox
// (first half / second half) layouts, frequency base, linear scaling, YaRN and per-dimension
// frequency factors (llama3 rope_freqs.weight).
#pragma once

#include <cstdint>

namespace hearth::kernels {

struct RopeParams {
  int n_dims = 0;     // rotated dimensions per head (<= head_dim); the rest pass through
  bool neox = false;  // false: pairs (2i, 2i+1); true: pairs (i, i + n_dims/2)
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;   // 1 / linear scaling factor
  float ext_factor = 0.0f;   // YaRN extrapolation mix (0: off)
  float attn_factor = 1.0f;  // YaRN magnitude scale
  float beta_fast = 32.0f;
  float beta_slow = 1.0f;
  int n_ctx_orig = 0;                   // training context (YaRN correction dims)
  const float* freq_factors = nullptr;  // (n_dims/2) divisors of theta, or nullptr
};

// cos_sin (n_dims/2, 2): cos and sin of the rotation angle of each pair at position `pos`.
void rope_angles(const RopeParams& p, int64_t pos, float* cos_sin);

// Rotates x (n_heads, head_dim) in place with angles from rope_angles.
void rope_apply(const RopeParams& p, const float* cos_sin, int64_t n_heads, int64_t head_dim,
                float* x);

}  // namespace hearth::kernels
