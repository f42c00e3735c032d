// Scalar reference of kernels/attention.h: the specification of the attention numerics.
#pragma once

#include "kernels/attention.h"

namespace hearth::kernels::ref {

// Same contract as kernels::attention_head; scalar code only (no dispatched helpers).
void attention_head(const AttentionHeadArgs& a, float* scratch, float* out);

// slot of position j: through the block table when there is one
inline int64_t attention_slot(const AttentionHeadArgs& a, int64_t j) {
  return a.block_table == nullptr
             ? j
             : static_cast<int64_t>(a.block_table[j / a.block_size]) * a.block_size +
                   j % a.block_size;
}

}  // namespace hearth::kernels::ref
