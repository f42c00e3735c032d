// Reference conversions and dot products of the 32-value block types Q4_0, Q4_1, Q5_0, Q5_1, Q8_0
// and Q8_1, byte-compatible with llama.cpp. Without importance the quantizers round to nearest as
// llama.cpp's reference does; with importance (one weight per value of a row) they search the
// scale like llama.cpp's quantize_q4_0 & co. with an imatrix.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "core/fp16.h"
#include "quant/blocks.h"
#include "quant/reference.h"
#include "quant/scale_search.h"

namespace hearth::quant::ref {
namespace {

using detail::fit_scale_and_min_v3;
using detail::fit_symmetric_scale;

// Packs 32 levels as nibbles: qs[j] = L[j] | L[j + 16] << 4 (bit 4 of each level goes to qh).
void pack_nibbles(const uint8_t* L, uint8_t* qs) {
  for (int j = 0; j < 16; ++j)
    qs[j] = static_cast<uint8_t>((L[j] & 0x0F) | ((L[j + 16] & 0x0F) << 4));
}
// Bit 4 of level j goes to bit j of the little-endian u32 qh.
void pack_fifth_bits(const uint8_t* L, uint8_t* qh_bytes) {
  uint32_t qh = 0;
  for (int j = 0; j < 32; ++j) qh |= static_cast<uint32_t>((L[j] >> 4) & 1) << j;
  std::memcpy(qh_bytes, &qh, sizeof qh);
}
// The 32 five-bit levels of a Q5 block.
void unpack_q5_levels(const uint8_t* qs, const uint8_t* qh_bytes, int* levels) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, sizeof qh);
  for (int j = 0; j < 16; ++j) {
    levels[j] = (qs[j] & 0x0F) | static_cast<int>(((qh >> j) << 4) & 0x10);
    levels[j + 16] = (qs[j] >> 4) | static_cast<int>((qh >> (j + 12)) & 0x10);
  }
}

// Mean of x^2 over the row: the importance-weighted quantizers use sqrt(sigma2 + x^2) * w.
float row_sigma2(const float* x, int64_t n) {
  float sum_x2 = 0;
  for (int64_t j = 0; j < n; ++j) sum_x2 += x[j] * x[j];
  return sum_x2 / n;
}
void importance_weights(const float* x, const float* importance, float sigma2, float* w) {
  for (int j = 0; j < 32; ++j) w[j] = importance[j] * std::sqrt(sigma2 + x[j] * x[j]);
}

// Signed value of largest magnitude in a block of 32.
float block_signed_max(const float* x) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < 32; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}
void block_min_max(const float* x, float* min, float* max) {
  *min = FLT_MAX;
  *max = -FLT_MAX;
  for (int j = 0; j < 32; ++j) {
    if (x[j] < *min) *min = x[j];
    if (x[j] > *max) *max = x[j];
  }
}

}  // namespace

// ---- Q4_0: x = d * (q - 8)

void q4_0_to_float(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockQ4_0*>(src);
  for (int64_t i = 0; i < n / kQK4_0; ++i, dst += kQK4_0) {
    const float d = fp16_to_float(x[i].d);
    for (int j = 0; j < 16; ++j) {
      dst[j] = ((x[i].qs[j] & 0x0F) - 8) * d;
      dst[j + 16] = ((x[i].qs[j] >> 4) - 8) * d;
    }
  }
}

void q4_0_from_float(const float* src, void* dst, int64_t n, const float* importance) {
  auto* y = static_cast<BlockQ4_0*>(dst);
  const float sigma2 = importance ? row_sigma2(src, n) : 0.f;
  for (int64_t i = 0; i < n / kQK4_0; ++i) {
    const float* x = src + i * kQK4_0;
    uint8_t L[32];  // (32) levels 0..15
    if (importance) {
      float w[32];
      importance_weights(x, importance + i * kQK4_0, sigma2, w);
      int8_t levels[32];
      y[i].d = float_to_fp16(fit_symmetric_scale(32, 8, x, levels, 1, w));
      for (int j = 0; j < 32; ++j) L[j] = static_cast<uint8_t>(levels[j]);
    } else {
      const float d = block_signed_max(x) / -8;
      const float id = d ? 1.0f / d : 0.0f;
      y[i].d = float_to_fp16(d);
      for (int j = 0; j < 32; ++j)
        L[j] = static_cast<uint8_t>(std::min(15, static_cast<int>(x[j] * id + 8.5f)));
    }
    pack_nibbles(L, y[i].qs);
  }
}

// ---- Q4_1: x = d * q + m

void q4_1_to_float(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockQ4_1*>(src);
  for (int64_t i = 0; i < n / kQK4_1; ++i, dst += kQK4_1) {
    const float d = fp16_to_float(x[i].d);
    const float m = fp16_to_float(x[i].m);
    for (int j = 0; j < 16; ++j) {
      dst[j] = (x[i].qs[j] & 0x0F) * d + m;
      dst[j + 16] = (x[i].qs[j] >> 4) * d + m;
    }
  }
}

void q4_1_from_float(const float* src, void* dst, int64_t n, const float* importance) {
  auto* y = static_cast<BlockQ4_1*>(dst);
  const float sigma2 = importance ? row_sigma2(src, n) : 0.f;
  for (int64_t i = 0; i < n / kQK4_1; ++i) {
    const float* x = src + i * kQK4_1;
    uint8_t L[32];  // (32) levels 0..15
    if (importance) {
      float w[32], neg_min;
      importance_weights(x, importance + i * kQK4_1, sigma2, w);
      const float d = fit_scale_and_min_v3(32, 15, x, w, L, &neg_min, -0.9f, 0.05f, 36, false);
      y[i].d = float_to_fp16(d);
      y[i].m = float_to_fp16(-neg_min);
    } else {
      float min, max;
      block_min_max(x, &min, &max);
      const float d = (max - min) / 15;
      const float id = d ? 1.0f / d : 0.0f;
      y[i].d = float_to_fp16(d);
      y[i].m = float_to_fp16(min);
      for (int j = 0; j < 32; ++j)
        L[j] = static_cast<uint8_t>(std::min(15, static_cast<int>((x[j] - min) * id + 0.5f)));
    }
    pack_nibbles(L, y[i].qs);
  }
}

// ---- Q5_0: x = d * (q - 16)

void q5_0_to_float(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockQ5_0*>(src);
  for (int64_t i = 0; i < n / kQK5_0; ++i, dst += kQK5_0) {
    const float d = fp16_to_float(x[i].d);
    int levels[32];
    unpack_q5_levels(x[i].qs, x[i].qh, levels);
    for (int j = 0; j < 32; ++j) dst[j] = (levels[j] - 16) * d;
  }
}

void q5_0_from_float(const float* src, void* dst, int64_t n, const float* importance) {
  auto* y = static_cast<BlockQ5_0*>(dst);
  const float sigma2 = importance ? row_sigma2(src, n) : 0.f;
  for (int64_t i = 0; i < n / kQK5_0; ++i) {
    const float* x = src + i * kQK5_0;
    uint8_t L[32];  // (32) levels 0..31
    if (importance) {
      float w[32];
      importance_weights(x, importance + i * kQK5_0, sigma2, w);
      int8_t levels[32];
      y[i].d = float_to_fp16(fit_symmetric_scale(32, 16, x, levels, 1, w));
      for (int j = 0; j < 32; ++j) L[j] = static_cast<uint8_t>(levels[j]);
    } else {
      const float d = block_signed_max(x) / -16;
      const float id = d ? 1.0f / d : 0.0f;
      y[i].d = float_to_fp16(d);
      for (int j = 0; j < 32; ++j)
        L[j] = static_cast<uint8_t>(std::min(31, static_cast<int>(x[j] * id + 16.5f)));
    }
    pack_nibbles(L, y[i].qs);
    pack_fifth_bits(L, y[i].qh);
  }
}

// ---- Q5_1: x = d * q + m

void q5_1_to_float(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockQ5_1*>(src);
  for (int64_t i = 0; i < n / kQK5_1; ++i, dst += kQK5_1) {
    const float d = fp16_to_float(x[i].d);
    const float m = fp16_to_float(x[i].m);
    int levels[32];
    unpack_q5_levels(x[i].qs, x[i].qh, levels);
    for (int j = 0; j < 32; ++j) dst[j] = levels[j] * d + m;
  }
}

void q5_1_from_float(const float* src, void* dst, int64_t n, const float* importance) {
  auto* y = static_cast<BlockQ5_1*>(dst);
  const float sigma2 = importance ? row_sigma2(src, n) : 0.f;
  for (int64_t i = 0; i < n / kQK5_1; ++i) {
    const float* x = src + i * kQK5_1;
    uint8_t L[32];  // (32) levels 0..31
    if (importance) {
      float w[32], neg_min;
      importance_weights(x, importance + i * kQK5_1, sigma2, w);
      const float d = fit_scale_and_min_v3(32, 31, x, w, L, &neg_min, -0.9f, 0.05f, 36, false);
      y[i].d = float_to_fp16(d);
      y[i].m = float_to_fp16(-neg_min);
    } else {
      float min, max;
      block_min_max(x, &min, &max);
      const float d = (max - min) / 31;
      const float id = d ? 1.0f / d : 0.0f;
      y[i].d = float_to_fp16(d);
      y[i].m = float_to_fp16(min);
      // llama.cpp does not clamp here: (max - min) * id + 0.5 stays below 32 in float.
      for (int j = 0; j < 32; ++j)
        L[j] = static_cast<uint8_t>(static_cast<int>((x[j] - min) * id + 0.5f) & 31);
    }
    pack_nibbles(L, y[i].qs);
    pack_fifth_bits(L, y[i].qh);
  }
}

// ---- Q8_0: x = d * q; Q8_1 additionally stores s = d * sum(q)

void q8_0_to_float(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockQ8_0*>(src);
  for (int64_t i = 0; i < n / kQK8_0; ++i, dst += kQK8_0) {
    const float d = fp16_to_float(x[i].d);
    for (int j = 0; j < 32; ++j) dst[j] = x[i].qs[j] * d;
  }
}

// Rounds 32 values at scale amax/127 (half away from zero, as llama.cpp's roundf); returns d.
static float quantize_block_q8(const float* x, int8_t* qs) {
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127;
  const float id = d ? 1.0f / d : 0.0f;
  for (int j = 0; j < 32; ++j) qs[j] = static_cast<int8_t>(std::round(x[j] * id));
  return d;
}

void q8_0_from_float(const float* src, void* dst, int64_t n, const float* /*importance*/) {
  auto* y = static_cast<BlockQ8_0*>(dst);
  for (int64_t i = 0; i < n / kQK8_0; ++i)
    y[i].d = float_to_fp16(quantize_block_q8(src + i * kQK8_0, y[i].qs));
}

void q8_1_to_float(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockQ8_1*>(src);
  for (int64_t i = 0; i < n / kQK8_1; ++i, dst += kQK8_1) {
    const float d = fp16_to_float(x[i].d);
    for (int j = 0; j < 32; ++j) dst[j] = x[i].qs[j] * d;
  }
}

void q8_1_from_float(const float* src, void* dst, int64_t n, const float* /*importance*/) {
  auto* y = static_cast<BlockQ8_1*>(dst);
  for (int64_t i = 0; i < n / kQK8_1; ++i) {
    const float d = quantize_block_q8(src + i * kQK8_1, y[i].qs);
    int sum = 0;
    for (int j = 0; j < 32; ++j) sum += y[i].qs[j];
    y[i].d = float_to_fp16(d);
    y[i].s = float_to_fp16(sum * d);
  }
}

// ---- dot products: integer sums of level products per block, scaled by the blocks' d (and m).

float vec_dot_q4_0_q8_0(int64_t n, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ4_0*>(vx);
  const auto* y = static_cast<const BlockQ8_0*>(vy);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK4_0; ++i) {
    int sumi = 0;
    for (int j = 0; j < 16; ++j) {
      sumi += ((x[i].qs[j] & 0x0F) - 8) * y[i].qs[j] + ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + 16];
    }
    sum += sumi * (fp16_to_float(x[i].d) * fp16_to_float(y[i].d));
  }
  return sum;
}

float vec_dot_q4_1_q8_1(int64_t n, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ4_1*>(vx);
  const auto* y = static_cast<const BlockQ8_1*>(vy);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK4_1; ++i) {
    int sumi = 0;
    for (int j = 0; j < 16; ++j)
      sumi += (x[i].qs[j] & 0x0F) * y[i].qs[j] + (x[i].qs[j] >> 4) * y[i].qs[j + 16];
    sum += (fp16_to_float(x[i].d) * fp16_to_float(y[i].d)) * sumi +
           fp16_to_float(x[i].m) * fp16_to_float(y[i].s);
  }
  return sum;
}

float vec_dot_q5_0_q8_0(int64_t n, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ5_0*>(vx);
  const auto* y = static_cast<const BlockQ8_0*>(vy);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK5_0; ++i) {
    int levels[32];
    unpack_q5_levels(x[i].qs, x[i].qh, levels);
    int sumi = 0;
    for (int j = 0; j < 32; ++j) sumi += (levels[j] - 16) * y[i].qs[j];
    sum += sumi * (fp16_to_float(x[i].d) * fp16_to_float(y[i].d));
  }
  return sum;
}

float vec_dot_q5_1_q8_1(int64_t n, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ5_1*>(vx);
  const auto* y = static_cast<const BlockQ8_1*>(vy);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK5_1; ++i) {
    int levels[32];
    unpack_q5_levels(x[i].qs, x[i].qh, levels);
    int sumi = 0;
    for (int j = 0; j < 32; ++j) sumi += levels[j] * y[i].qs[j];
    sum += (fp16_to_float(x[i].d) * fp16_to_float(y[i].d)) * sumi +
           fp16_to_float(x[i].m) * fp16_to_float(y[i].s);
  }
  return sum;
}

float vec_dot_q8_0_q8_0(int64_t n, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ8_0*>(vx);
  const auto* y = static_cast<const BlockQ8_0*>(vy);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    int sumi = 0;
    for (int j = 0; j < 32; ++j) sumi += x[i].qs[j] * y[i].qs[j];
    sum += sumi * (fp16_to_float(x[i].d) * fp16_to_float(y[i].d));
  }
  return sum;
}

}  // namespace hearth::quant::ref
