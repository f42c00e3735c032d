// Attention with ggml's CPU flash-attention numerics (what llama.cpp runs by default): the query
// rounded to f16, an online softmax over the positions in order, and the weighted sum of values
// accumulated in an f16 vector that is rescaled whenever a new maximum score appears. Matching
// these roundings matters: on quantized models the activations feeding the next Q8 quantization
// differ otherwise, which moves logits by ~1e-2. The SIMD versions keep exactly these rounding
// points; only the summation order inside the K dot products differs.
#include "kernels/ref/attention_ref.h"

#include <cmath>
#include <limits>

#include "kernels/ref/vec_ref.h"

namespace hearth::kernels::ref {

void attention_head(const AttentionHeadArgs& a, float* scratch, float* out) {
  float* q16 = scratch;                 // (head_dim_k) query rounded through f16
  float* acc = scratch + a.head_dim_k;  // (head_dim_v) running sum, each value held as f16
  for (int64_t d = 0; d < a.head_dim_k; ++d) q16[d] = fp16_to_float(float_to_fp16(a.q[d]));
  for (int64_t d = 0; d < a.head_dim_v; ++d) acc[d] = 0.0f;
  float max_score = -std::numeric_limits<float>::infinity(), sum = 0.0f;
  for (int64_t j = 0; j < a.n_kv; ++j) {
    const int64_t slot = attention_slot(a, j);
    const float s = a.scale * dot_f32_f16(q16, a.k + slot * a.k_stride, a.head_dim_k);
    float old_scale = 1.0f, weight = 1.0f;
    if (s > max_score) {  // new maximum: rescale what was accumulated so far
      old_scale = std::exp(max_score - s);
      max_score = s;
      for (int64_t d = 0; d < a.head_dim_v; ++d)
        acc[d] = fp16_to_float(float_to_fp16(acc[d] * old_scale));
    } else {
      weight = std::exp(s - max_score);
    }
    const fp16_t* v = a.v + slot * a.v_stride;  // (head_dim_v)
    for (int64_t d = 0; d < a.head_dim_v; ++d)
      acc[d] = fp16_to_float(float_to_fp16(std::fma(fp16_to_float(v[d]), weight, acc[d])));
    sum = sum * old_scale + weight;
  }
  const float inv = sum == 0.0f ? 0.0f : 1.0f / sum;
  for (int64_t d = 0; d < a.head_dim_v; ++d) out[d] = acc[d] * inv;
}

}  // namespace hearth::kernels::ref
