#include "kernels/attention.h"

#include <cstring>

#include "kernels/vec.h"

namespace hearth::kernels {

void attention_head(const AttentionHeadArgs& a, float* scratch, float* out) {
  float* q16 = scratch;                    // (head_dim_k) query rounded through f16
  float* scores = scratch + a.head_dim_k;  // (n_kv)
  for (int64_t d = 0; d < a.head_dim_k; ++d) q16[d] = fp16_to_float(float_to_fp16(a.q[d]));
  for (int64_t j = 0; j < a.n_kv; ++j) {
    scores[j] = a.scale * dot_f32_f16(q16, a.k + j * a.k_stride, a.head_dim_k);
  }
  softmax(scores, a.n_kv);
  std::memset(out, 0, sizeof(float) * a.head_dim_v);
  for (int64_t j = 0; j < a.n_kv; ++j) axpy_f16(scores[j], a.v + j * a.v_stride, a.head_dim_v, out);
}

}  // namespace hearth::kernels
