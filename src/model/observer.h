// An optional observer of the input of every weight matrix multiply in the forward pass, for
// `hearth imatrix` (per-column activation statistics). Off by default: a forward pass then pays
// one relaxed atomic load and a branch per matrix multiply. One observer for the whole process;
// it is called on the thread that runs Model::forward, before the multiply.
#pragma once

#include <cstdint>

#include "kernels/kernels.h"

namespace hearth::model {

class MatmulObserver {
 public:
  virtual ~MatmulObserver() = default;
  // x: (n_tokens, w.cols) row-major, the activations entering y = x W^T.
  virtual void observe(const kernels::Matrix& w, const float* x, int64_t n_tokens) = 0;
};

// Installs `observer` (nullptr: none). The caller keeps it alive while it is installed.
void set_matmul_observer(MatmulObserver* observer);
MatmulObserver* matmul_observer();

inline void observe_matmul(const kernels::Matrix& w, const float* x, int64_t n_tokens) {
  if (MatmulObserver* o = matmul_observer()) o->observe(w, x, n_tokens);
}

}  // namespace hearth::model
