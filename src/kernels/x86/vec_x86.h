// x86 versions of the kernels/vec.h row operations (same signatures as kernels/ref/vec_ref.h).
#pragma once

#include <cstdint>

#include "core/fp16.h"

namespace hearth::kernels::avx2 {

void rms_norm(const float* x, const float* weight, float eps, int64_t n, float* y);
void softmax(float* x, int64_t n);
void silu_mul(const float* gate, const float* up, int64_t n, float* out);
float dot_f32(const float* a, const float* b, int64_t n);
float dot_f32_f16(const float* a, const fp16_t* b, int64_t n);
void axpy_f16(float alpha, const fp16_t* x, int64_t n, float* y);
void f32_to_f16_row(const float* x, int64_t n, fp16_t* y);
void add_inplace(float* y, const float* x, int64_t n);
int64_t argmax(const float* x, int64_t n);

}  // namespace hearth::kernels::avx2
