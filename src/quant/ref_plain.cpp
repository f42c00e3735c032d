// Reference conversions and dot products of the plain (unquantized) float types.
#include <cstring>

#include "core/fp16.h"
#include "quant/reference.h"

namespace hearth::quant::ref {

void f32_to_float(const void* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}
void f32_from_float(const float* src, void* dst, int64_t n, const float* /*importance*/) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}
void f16_to_float(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const fp16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = hearth::fp16_to_float(x[i]);
}
void f16_from_float(const float* src, void* dst, int64_t n, const float* /*importance*/) {
  auto* y = static_cast<fp16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) y[i] = hearth::float_to_fp16(src[i]);
}
void bf16_to_float(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const bf16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = hearth::bf16_to_float(x[i]);
}
void bf16_from_float(const float* src, void* dst, int64_t n, const float* /*importance*/) {
  auto* y = static_cast<bf16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) y[i] = hearth::float_to_bf16(src[i]);
}

float vec_dot_f32(int64_t n, const void* x, const void* y) {
  const auto* a = static_cast<const float*>(x);
  const auto* b = static_cast<const float*>(y);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(sum);
}
float vec_dot_f16(int64_t n, const void* x, const void* y) {
  const auto* a = static_cast<const fp16_t*>(x);
  const auto* b = static_cast<const fp16_t*>(y);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(hearth::fp16_to_float(a[i])) * hearth::fp16_to_float(b[i]);
  return static_cast<float>(sum);
}
float vec_dot_bf16(int64_t n, const void* x, const void* y) {
  const auto* a = static_cast<const bf16_t*>(x);
  const auto* b = static_cast<const bf16_t*>(y);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(hearth::bf16_to_float(a[i])) * hearth::bf16_to_float(b[i]);
  return static_cast<float>(sum);
}

}  // namespace hearth::quant::ref
