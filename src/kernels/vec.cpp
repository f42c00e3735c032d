// Dispatched entry points of kernels/vec.h: the AVX2 versions (x86/vec_avx2.cpp) on the AVX2
// and AVX-512 paths, the scalar reference otherwise.
#include "kernels/vec.h"

#include "kernels/kernels.h"
#include "kernels/ref/vec_ref.h"
#include "kernels/x86/vec_x86.h"

namespace hearth::kernels {
namespace {
inline bool simd() {
  return active_isa() != Isa::kScalar;
}
}  // namespace

void rms_norm(const float* x, const float* weight, float eps, int64_t n, float* y) {
  simd() ? avx2::rms_norm(x, weight, eps, n, y) : ref::rms_norm(x, weight, eps, n, y);
}
void softmax(float* x, int64_t n) {
  simd() ? avx2::softmax(x, n) : ref::softmax(x, n);
}
void silu_mul(const float* gate, const float* up, int64_t n, float* out) {
  simd() ? avx2::silu_mul(gate, up, n, out) : ref::silu_mul(gate, up, n, out);
}
float dot_f32(const float* a, const float* b, int64_t n) {
  return simd() ? avx2::dot_f32(a, b, n) : ref::dot_f32(a, b, n);
}
float dot_f32_f16(const float* a, const fp16_t* b, int64_t n) {
  return simd() ? avx2::dot_f32_f16(a, b, n) : ref::dot_f32_f16(a, b, n);
}
void axpy_f16(float alpha, const fp16_t* x, int64_t n, float* y) {
  simd() ? avx2::axpy_f16(alpha, x, n, y) : ref::axpy_f16(alpha, x, n, y);
}
void f32_to_f16_row(const float* x, int64_t n, fp16_t* y) {
  simd() ? avx2::f32_to_f16_row(x, n, y) : ref::f32_to_f16_row(x, n, y);
}
void add_inplace(float* y, const float* x, int64_t n) {
  simd() ? avx2::add_inplace(y, x, n) : ref::add_inplace(y, x, n);
}
int64_t argmax(const float* x, int64_t n) {
  return simd() ? avx2::argmax(x, n) : ref::argmax(x, n);
}

}  // namespace hearth::kernels
