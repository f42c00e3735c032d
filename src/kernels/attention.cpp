// Dispatched attention: the AVX2 grouped kernel (x86/attention_avx2.cpp) on the AVX2 and
// AVX-512 paths, the scalar reference (ref/attention_ref.cpp) otherwise.
#include "kernels/attention.h"

#include <vector>

#include "kernels/kernels.h"
#include "kernels/ref/attention_ref.h"
#include "kernels/x86/attention_x86.h"

namespace hearth::kernels {

void attention_head(const AttentionHeadArgs& a, float* scratch, float* out) {
  if (active_isa() != Isa::kScalar && avx2::attention_supported(a)) {
    avx2::attention_group(a, 1, 0, out, 0);
    return;
  }
  ref::attention_head(a, scratch, out);
}

void attention_group(const AttentionHeadArgs& a, int64_t n_q, size_t q_stride, float* out,
                     size_t out_stride) {
  if (n_q <= 0) return;
  if (active_isa() != Isa::kScalar && avx2::attention_supported(a)) {
    avx2::attention_group(a, n_q, q_stride, out, out_stride);
    return;
  }
  thread_local std::vector<float> scratch;  // (head_dim_k + head_dim_v)
  scratch.resize(a.head_dim_k + a.head_dim_v);
  AttentionHeadArgs head = a;
  for (int64_t h = 0; h < n_q; ++h) {
    head.q = a.q + h * q_stride;
    ref::attention_head(head, scratch.data(), out + h * out_stride);
  }
}

}  // namespace hearth::kernels
