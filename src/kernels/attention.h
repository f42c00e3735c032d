// Scaled dot-product attention of one query head over an f16 K/V cache.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/fp16.h"

namespace hearth::kernels {

struct AttentionHeadArgs {
  const float* q = nullptr;   // (head_dim_k) query of one head, already rotated
  const fp16_t* k = nullptr;  // row j at k + j * k_stride: (head_dim_k) key of position j
  const fp16_t* v = nullptr;  // row j at v + j * v_stride: (head_dim_v) value of position j
  size_t k_stride = 0;        // elements between consecutive positions
  size_t v_stride = 0;
  int64_t n_kv = 0;  // attend to positions [0, n_kv)
  int64_t head_dim_k = 0;
  int64_t head_dim_v = 0;
  float scale = 1.0f;  // usually 1/sqrt(head_dim_k)
};

// out (head_dim_v) = softmax(scale * K q) . V. `scratch` holds head_dim_k + head_dim_v floats.
// Rounds as ggml's CPU flash attention does: f16 query, f16 running sum of values.
void attention_head(const AttentionHeadArgs& a, float* scratch, float* out);

}  // namespace hearth::kernels
