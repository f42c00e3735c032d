// Scalar activation quantizers and row dot products of the float and 32-value block types.
#include "kernels/ref/qdot_ref.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/fp16.h"
#include "quant/blocks.h"

namespace hearth::kernels::ref {
namespace {

using namespace hearth::quant;

// Round half to even, as llama.cpp's nearest_int (float magic-number trick) does.
inline int nearest_int(float v) {
  return static_cast<int>(std::nearbyint(v));
}

// 5-bit value j of a Q5 block: 4 low bits from qs, bit 4 from qh.
inline int q5_value(const uint8_t* qs, uint32_t qh, int j) {
  const int low = j < 16 ? (qs[j] & 0xF) : (qs[j - 16] >> 4);
  return low | static_cast<int>(((qh >> j) & 1u) << 4);
}

}  // namespace

void quantize_q8_0(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ8_0*>(dst);  // (n / 32) blocks
  for (int64_t b = 0; b < n / kQK8_0; ++b, x += kQK8_0) {
    float amax = 0;
    for (int j = 0; j < kQK8_0; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    y[b].d = float_to_fp16(d);
    for (int j = 0; j < kQK8_0; ++j) y[b].qs[j] = static_cast<int8_t>(nearest_int(x[j] * id));
  }
  // f32 scales and block sums after the blocks (see kernels/qdot.h)
  const int64_t nb = n / kQK8_0;
  auto* scales = reinterpret_cast<uint8_t*>(y + nb);         // (nb) f32, unaligned
  auto* sums = reinterpret_cast<uint8_t*>(scales + 4 * nb);  // (nb) int16, unaligned
  for (int64_t b = 0; b < nb; ++b) {
    const float d = fp16_to_float(y[b].d);
    std::memcpy(scales + 4 * b, &d, 4);
    int sum = 0;
    for (int j = 0; j < kQK8_0; ++j) sum += y[b].qs[j];
    const int16_t s16 = static_cast<int16_t>(sum);
    std::memcpy(sums + 2 * b, &s16, 2);
  }
}

void quantize_q8_1(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ8_1*>(dst);  // (n / 32) blocks
  for (int64_t b = 0; b < n / kQK8_1; ++b, x += kQK8_1) {
    float amax = 0;
    for (int j = 0; j < kQK8_1; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    int sum = 0;
    for (int j = 0; j < kQK8_1; ++j) {
      y[b].qs[j] = static_cast<int8_t>(nearest_int(x[j] * id));
      sum += y[b].qs[j];
    }
    y[b].d = float_to_fp16(d);
    y[b].s = float_to_fp16(d * static_cast<float>(sum));
  }
}

void quantize_q8_k(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ8_K*>(dst);  // (n / 256) blocks
  for (int64_t b = 0; b < n / kQK_K; ++b, x += kQK_K) {
    float max = 0, amax = 0;
    for (int j = 0; j < kQK_K; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    std::memset(&y[b], 0, sizeof(BlockQ8_K));
    if (amax == 0) continue;
    const float iscale = -127.0f / max;
    for (int j = 0; j < kQK_K; ++j) {
      y[b].qs[j] = static_cast<int8_t>(std::min(127, nearest_int(iscale * x[j])));
    }
    for (int g = 0; g < kQK_K / 16; ++g) {
      int sum = 0;
      for (int j = 0; j < 16; ++j) sum += y[b].qs[g * 16 + j];
      y[b].bsums[g] = static_cast<int16_t>(sum);
    }
    y[b].d = 1.0f / iscale;
  }
}

float dot_f32(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const float*>(w);  // (n)
  const auto* b = static_cast<const float*>(x);  // (n)
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(sum);
}

float dot_f16(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const fp16_t*>(w);  // (n)
  const auto* b = static_cast<const float*>(x);   // (n)
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(fp16_to_float(a[i])) * b[i];
  return static_cast<float>(sum);
}

float dot_bf16(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const bf16_t*>(w);  // (n)
  const auto* b = static_cast<const float*>(x);   // (n)
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(bf16_to_float(a[i])) * b[i];
  return static_cast<float>(sum);
}

float dot_q4_0(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ4_0*>(w);  // (n / 32)
  const auto* b = static_cast<const BlockQ8_0*>(x);  // (n / 32)
  float sum = 0;
  for (int64_t i = 0; i < n / kQK4_0; ++i) {
    int isum = 0;
    for (int j = 0; j < 16; ++j) {
      isum += ((a[i].qs[j] & 0xF) - 8) * b[i].qs[j] + ((a[i].qs[j] >> 4) - 8) * b[i].qs[j + 16];
    }
    sum += fp16_to_float(a[i].d) * fp16_to_float(b[i].d) * static_cast<float>(isum);
  }
  return sum;
}

float dot_q4_1(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ4_1*>(w);  // (n / 32)
  const auto* b = static_cast<const BlockQ8_1*>(x);  // (n / 32)
  float sum = 0;
  for (int64_t i = 0; i < n / kQK4_1; ++i) {
    int isum = 0;
    for (int j = 0; j < 16; ++j) {
      isum += (a[i].qs[j] & 0xF) * b[i].qs[j] + (a[i].qs[j] >> 4) * b[i].qs[j + 16];
    }
    sum += fp16_to_float(a[i].d) * fp16_to_float(b[i].d) * static_cast<float>(isum) +
           fp16_to_float(a[i].m) * fp16_to_float(b[i].s);
  }
  return sum;
}

float dot_q5_0(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ5_0*>(w);  // (n / 32)
  const auto* b = static_cast<const BlockQ8_0*>(x);  // (n / 32)
  float sum = 0;
  for (int64_t i = 0; i < n / kQK5_0; ++i) {
    uint32_t qh;
    std::memcpy(&qh, a[i].qh, 4);
    int isum = 0;
    for (int j = 0; j < 32; ++j) isum += (q5_value(a[i].qs, qh, j) - 16) * b[i].qs[j];
    sum += fp16_to_float(a[i].d) * fp16_to_float(b[i].d) * static_cast<float>(isum);
  }
  return sum;
}

float dot_q5_1(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ5_1*>(w);  // (n / 32)
  const auto* b = static_cast<const BlockQ8_1*>(x);  // (n / 32)
  float sum = 0;
  for (int64_t i = 0; i < n / kQK5_1; ++i) {
    uint32_t qh;
    std::memcpy(&qh, a[i].qh, 4);
    int isum = 0;
    for (int j = 0; j < 32; ++j) isum += q5_value(a[i].qs, qh, j) * b[i].qs[j];
    sum += fp16_to_float(a[i].d) * fp16_to_float(b[i].d) * static_cast<float>(isum) +
           fp16_to_float(a[i].m) * fp16_to_float(b[i].s);
  }
  return sum;
}

float dot_q8_0(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ8_0*>(w);  // (n / 32)
  const auto* b = static_cast<const BlockQ8_0*>(x);  // (n / 32)
  float sum = 0;
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    int isum = 0;
    for (int j = 0; j < 32; ++j) isum += a[i].qs[j] * b[i].qs[j];
    sum += fp16_to_float(a[i].d) * fp16_to_float(b[i].d) * static_cast<float>(isum);
  }
  return sum;
}

float dot_iq4_nl(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockIQ4_NL*>(w);  // (n / 32)
  const auto* b = static_cast<const BlockQ8_0*>(x);    // (n / 32)
  float sum = 0;
  for (int64_t i = 0; i < n / kQK4_NL; ++i) {
    int isum = 0;
    for (int j = 0; j < 16; ++j) {
      isum += kIQ4NLValues[a[i].qs[j] & 0xF] * b[i].qs[j] +
              kIQ4NLValues[a[i].qs[j] >> 4] * b[i].qs[j + 16];
    }
    sum += fp16_to_float(a[i].d) * fp16_to_float(b[i].d) * static_cast<float>(isum);
  }
  return sum;
}

}  // namespace hearth::kernels::ref
