// Scalar reference of the elementwise kernels in kernels/vec.h. The dispatched entry points
// (kernels/vec.cpp) call these on the scalar path; SIMD versions are tested against them.
#include "kernels/ref/vec_ref.h"

#include <algorithm>
#include <cmath>

namespace hearth::kernels::ref {

void rms_norm(const float* x, const float* weight, float eps, int64_t n, float* y) {
  double sum_sq = 0;  // squares rounded to f32, summed in f64: ggml's rounding
  for (int64_t i = 0; i < n; ++i) sum_sq += static_cast<double>(x[i] * x[i]);
  const float scale = 1.0f / std::sqrt(static_cast<float>(sum_sq / n) + eps);
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale * (weight ? weight[i] : 1.0f);
}

void softmax(float* x, int64_t n) {
  float max_value = x[0];
  for (int64_t i = 1; i < n; ++i) max_value = std::max(max_value, x[i]);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max_value);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void silu_mul(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

float dot_f32(const float* a, const float* b, int64_t n) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(sum);
}

float dot_f32_f16(const float* a, const fp16_t* b, int64_t n) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(a[i]) * hearth::fp16_to_float(b[i]);
  return static_cast<float>(sum);
}

void axpy_f16(float alpha, const fp16_t* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * hearth::fp16_to_float(x[i]);
}

void f32_to_f16_row(const float* x, int64_t n, fp16_t* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = hearth::float_to_fp16(x[i]);
}

void add_inplace(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

int64_t argmax(const float* x, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (x[i] > x[best] || (x[best] != x[best] && x[i] == x[i])) best = i;  // NaN loses
  return best;
}

}  // namespace hearth::kernels::ref
