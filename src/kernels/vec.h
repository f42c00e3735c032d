// Vectorized elementwise / reduction kernels on f32 (and f16 KV) rows. Dispatched like matmul.
#pragma once

#include <cstdint>

#include "core/fp16.h"

namespace hearth::kernels {

// y[i] = x[i] / sqrt(mean(x^2) + eps) * weight[i]    (weight may be nullptr: no scaling)
void rms_norm(const float* x, const float* weight, float eps, int64_t n, float* y);
// x[i] = exp(x[i] - max) / sum, in place; returns nothing. n >= 1.
void softmax(float* x, int64_t n);
// out[i] = silu(gate[i]) * up[i],  silu(v) = v / (1 + exp(-v))
void silu_mul(const float* gate, const float* up, int64_t n, float* out);
// sum_i a[i] * b[i]
float dot_f32(const float* a, const float* b, int64_t n);
// sum_i a[i] * b[i] with b in f16 (attention scores against the f16 K cache)
float dot_f32_f16(const float* a, const fp16_t* b, int64_t n);
// y[i] += alpha * x[i] with x in f16 (attention values from the f16 V cache)
void axpy_f16(float alpha, const fp16_t* x, int64_t n, float* y);
// y[i] = x[i] converted to f16
void f32_to_f16_row(const float* x, int64_t n, fp16_t* y);
// y[i] += x[i]
void add_inplace(float* y, const float* x, int64_t n);
// Index of the largest x[i], the lowest index on ties; NaNs are never chosen unless every
// value is NaN (then 0). n >= 1.
int64_t argmax(const float* x, int64_t n);

}  // namespace hearth::kernels
