// Dispatched matmul / get_rows. (Scalar reference for now; SIMD GEMV/GEMM plug in here.)
#include "kernels/kernels.h"
#include "kernels/ref/matmul_ref.h"

namespace hearth::kernels {

void matmul(ThreadPool& pool, const Matrix& w, const float* x, int64_t n_tokens, float* y) {
  ref::matmul(pool, w, x, n_tokens, y);
}

void get_rows(const Matrix& w, const int32_t* ids, int64_t n_ids, float* out) {
  ref::get_rows(w, ids, n_ids, out);
}

}  // namespace hearth::kernels
