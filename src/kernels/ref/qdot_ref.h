// Scalar reference of the GEMV building blocks (kernels/qdot.h): activation quantizers and row
// dot products with llama.cpp's integer semantics. Every SIMD version is tested against these.
#pragma once

#include <cstdint>

namespace hearth::kernels::ref {

// Activation quantizers: n floats -> blocks (Q8_0: d = amax/127, q = round(x/d), followed by
// the f32 scales and int16 sums of each block (kernels/qdot.h); Q8_1 adds
// s = d * sum(q); Q8_K: d = -max/127 with max the signed value of largest magnitude, q =
// round-half-even(x/d) clamped to 127, bsums = sums of each 16 q).
void quantize_q8_0(const float* x, void* dst, int64_t n);
void quantize_q8_1(const float* x, void* dst, int64_t n);
void quantize_q8_k(const float* x, void* dst, int64_t n);

// Row dot products (weights in the named type, activations as listed in kernels/qdot.h).
float dot_f32(int64_t n, const void* w, const void* x);
float dot_f16(int64_t n, const void* w, const void* x);
float dot_bf16(int64_t n, const void* w, const void* x);
float dot_q4_0(int64_t n, const void* w, const void* x);
float dot_q4_1(int64_t n, const void* w, const void* x);
float dot_q5_0(int64_t n, const void* w, const void* x);
float dot_q5_1(int64_t n, const void* w, const void* x);
float dot_q8_0(int64_t n, const void* w, const void* x);
float dot_iq4_nl(int64_t n, const void* w, const void* x);
float dot_q2_k(int64_t n, const void* w, const void* x);
float dot_q3_k(int64_t n, const void* w, const void* x);
float dot_q4_k(int64_t n, const void* w, const void* x);
float dot_q5_k(int64_t n, const void* w, const void* x);
float dot_q6_k(int64_t n, const void* w, const void* x);
float dot_iq4_xs(int64_t n, const void* w, const void* x);

// K-quant scale helpers shared with the SIMD code.
// Q4_K / Q5_K: 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes.
inline void k4_scale_min(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}
// Q3_K: the 16 signed scales (already minus 32) from the 12 packed bytes.
void q3_k_scales(const uint8_t* packed, int8_t out[16]);

}  // namespace hearth::kernels::ref
