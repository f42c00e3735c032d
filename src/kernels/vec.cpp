// Dispatched entry points of kernels/vec.h. (Scalar for now; the SIMD paths plug in here.)
#include "kernels/vec.h"

#include "kernels/ref/vec_ref.h"

namespace hearth::kernels {

void rms_norm(const float* x, const float* weight, float eps, int64_t n, float* y) {
  ref::rms_norm(x, weight, eps, n, y);
}
void softmax(float* x, int64_t n) {
  ref::softmax(x, n);
}
void silu_mul(const float* gate, const float* up, int64_t n, float* out) {
  ref::silu_mul(gate, up, n, out);
}
float dot_f32(const float* a, const float* b, int64_t n) {
  return ref::dot_f32(a, b, n);
}
float dot_f32_f16(const float* a, const fp16_t* b, int64_t n) {
  return ref::dot_f32_f16(a, b, n);
}
void axpy_f16(float alpha, const fp16_t* x, int64_t n, float* y) {
  ref::axpy_f16(alpha, x, n, y);
}
void f32_to_f16_row(const float* x, int64_t n, fp16_t* y) {
  ref::f32_to_f16_row(x, n, y);
}
void add_inplace(float* y, const float* x, int64_t n) {
  ref::add_inplace(y, x, n);
}

}  // namespace hearth::kernels
