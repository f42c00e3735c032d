// Scalar reference matrix product: the specification the SIMD GEMM/GEMV are tested against.
#pragma once

#include "kernels/kernels.h"

namespace hearth::kernels::ref {

// y (n_tokens, w.rows) = x (n_tokens, w.cols) * w^T. Activations are quantized to the weight
// type's vec_dot_type with the quant reference from_float, then the reference vec_dot is used
// (types without a vec_dot are dequantized row by row and dotted in f32).
void matmul(ThreadPool& pool, const Matrix& w, const float* x, int64_t n_tokens, float* y);

void get_rows(const Matrix& w, const int32_t* ids, int64_t n_ids, float* out);

}  // namespace hearth::kernels::ref
