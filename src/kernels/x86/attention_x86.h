// x86 version of the grouped attention kernel (kernels/attention.h), compiled for AVX2 + F16C.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/attention.h"

namespace hearth::kernels::avx2 {

// Head dims the vector kernel handles (multiples of 8); others take the scalar reference.
inline bool attention_supported(const AttentionHeadArgs& a) {
  return a.head_dim_k % 8 == 0 && a.head_dim_v % 8 == 0 && a.head_dim_k > 0 && a.head_dim_v > 0;
}

void attention_group(const AttentionHeadArgs& a, int64_t n_q, size_t q_stride, float* out,
                     size_t out_stride);

}  // namespace hearth::kernels::avx2
