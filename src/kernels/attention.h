// Scaled dot-product attention of one query head over an f16 K/V cache.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/fp16.h"

namespace hearth::kernels {

struct AttentionHeadArgs {
  const float* q = nullptr;   // (head_dim_k) query of one head, already rotated
  const fp16_t* k = nullptr;  // slot s at k + s * k_stride: (head_dim_k) key
  const fp16_t* v = nullptr;  // slot s at v + s * v_stride: (head_dim_v) value
  size_t k_stride = 0;        // elements between consecutive slots
  size_t v_stride = 0;
  // Paged cache: position j lives in slot block_table[j / block_size] * block_size +
  // j % block_size. Without a table (nullptr) position j is slot j (a contiguous cache).
  const int32_t* block_table = nullptr;
  int64_t block_size = 0;
  int64_t n_kv = 0;  // attend to positions [0, n_kv)
  int64_t head_dim_k = 0;
  int64_t head_dim_v = 0;
  float scale = 1.0f;  // usually 1/sqrt(head_dim_k)
};

// out (head_dim_v) = softmax(scale * K q) . V. `scratch` holds head_dim_k + head_dim_v floats.
// Rounds as ggml's CPU flash attention does: f16 query, f16 running sum of values.
void attention_head(const AttentionHeadArgs& a, float* scratch, float* out);

// The n_q query heads that share one KV head (grouped-query attention), in one pass over its
// K/V: query h is a.q + h * q_stride (head_dim_k), its result goes to out + h * out_stride
// (head_dim_v). Same numerics per head as attention_head. Reads every K/V position once for
// all n_q heads instead of n_q times. Uses thread-local scratch (no allocation once warm).
void attention_group(const AttentionHeadArgs& a, int64_t n_q, size_t q_stride, float* out,
                     size_t out_stride);

}  // namespace hearth::kernels
