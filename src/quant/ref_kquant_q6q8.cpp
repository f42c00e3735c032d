// Q6_K (x = d * sc * (q - 32), 16 sub-blocks of 16 with int8 scales) and Q8_K (the activation
// type of the K-quant dot products: float d, 256 int8, sums of each 16). Without importance the
// Q6_K quantizer is llama.cpp's reference (x^2-weighted scale search); with importance it weights
// the search by the importance alone, as llama.cpp's quantize_row_q6_K_impl does.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/fp16.h"
#include "quant/blocks.h"
#include "quant/reference.h"
#include "quant/scale_search.h"

namespace hearth::quant::ref {
namespace {

using detail::nearest_int;

// Level (0..63) of value p of a Q6_K block. Each 128-value chunk c uses ql[64c..64c+63] and
// qh[32c..32c+31]; quarter k of the chunk reads nibble k/2 of ql[64c + 32*(k%2) + l] and bits
// 2k..2k+1 of qh[32c + l].
int q6_k_level(const BlockQ6_K& b, int p) {
  const int c = p / 128, k = (p % 128) / 32, l = p % 32;
  const uint8_t low_byte = b.ql[64 * c + 32 * (k % 2) + l];
  const int low = k >= 2 ? low_byte >> 4 : low_byte & 0xF;
  const int high = (b.qh[32 * c + l] >> (2 * k)) & 3;
  return low | (high << 4);
}

void pack_q6_k_levels(const int8_t* L, BlockQ6_K* y) {
  for (int c = 0; c < 2; ++c) {
    const int8_t* Lc = L + 128 * c;
    uint8_t* ql = y->ql + 64 * c;
    uint8_t* qh = y->qh + 32 * c;
    for (int l = 0; l < 32; ++l) {
      ql[l] = static_cast<uint8_t>((Lc[l] & 0xF) | ((Lc[l + 64] & 0xF) << 4));
      ql[l + 32] = static_cast<uint8_t>((Lc[l + 32] & 0xF) | ((Lc[l + 96] & 0xF) << 4));
      qh[l] = static_cast<uint8_t>((Lc[l] >> 4) | ((Lc[l + 32] >> 4) << 2) |
                                   ((Lc[l + 64] >> 4) << 4) | ((Lc[l + 96] >> 4) << 6));
    }
  }
}

void quantize_q6_k_block(const float* x, const float* importance, BlockQ6_K* y) {
  int8_t L[kQK_K];   // (256) levels 0..63
  float scales[16];  // (16) sub-block scales
  float max_scale = 0, max_abs_scale = 0;
  detail::fit_symmetric_scale_groups(16, 16, 32, x, importance, L, scales);
  for (int ib = 0; ib < 16; ++ib) {
    if (std::fabs(scales[ib]) > max_abs_scale) {
      max_abs_scale = std::fabs(scales[ib]);
      max_scale = scales[ib];
    }
  }
  if (max_abs_scale < detail::kGroupMaxEps) {
    std::memset(y, 0, sizeof *y);
    return;
  }
  const float iscale = -128.f / max_scale;
  y->d = float_to_fp16(1 / iscale);
  for (int ib = 0; ib < 16; ++ib) {
    y->scales[ib] = static_cast<int8_t>(std::min(127, nearest_int(iscale * scales[ib])));
  }
  for (int j = 0; j < 16; ++j) {
    const float d = fp16_to_float(y->d) * y->scales[j];
    if (!d) continue;
    for (int l = 0; l < 16; ++l) {
      const int q = std::max(-32, std::min(31, nearest_int(x[16 * j + l] / d)));
      L[16 * j + l] = static_cast<int8_t>(q + 32);
    }
  }
  pack_q6_k_levels(L, y);
}

}  // namespace

// ---- Q6_K

void q6_k_to_float(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockQ6_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    const float d = fp16_to_float(x[i].d);
    // llama.cpp multiplies (d * scale) * q in this order.
    for (int p = 0; p < kQK_K; ++p) dst[p] = d * x[i].scales[p / 16] * (q6_k_level(x[i], p) - 32);
  }
}

void q6_k_from_float(const float* src, void* dst, int64_t n, const float* importance) {
  auto* y = static_cast<BlockQ6_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    quantize_q6_k_block(src + i * kQK_K, importance ? importance + i * kQK_K : nullptr, &y[i]);
  }
}

float vec_dot_q6_k_q8_k(int64_t n, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ6_K*>(vx);
  const auto* y = static_cast<const BlockQ8_K*>(vy);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int sum_scaled = 0;
    for (int j = 0; j < 16; ++j) {
      int dot = 0;
      for (int l = 0; l < 16; ++l) dot += (q6_k_level(x[i], 16 * j + l) - 32) * y[i].qs[16 * j + l];
      sum_scaled += x[i].scales[j] * dot;
    }
    sum += fp16_to_float(x[i].d) * y[i].d * sum_scaled;
  }
  return sum;
}

// ---- Q8_K: x = d * q, q = round(-127 * x / max) where max is the value of largest magnitude.

void q8_k_to_float(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockQ8_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    for (int j = 0; j < kQK_K; ++j) dst[j] = x[i].d * x[i].qs[j];
  }
}

void q8_k_from_float(const float* src, void* dst, int64_t n, const float* /*importance*/) {
  auto* y = static_cast<BlockQ8_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float* x = src + i * kQK_K;
    float max = 0, amax = 0;
    for (int j = 0; j < kQK_K; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    if (!amax) {
      std::memset(&y[i], 0, sizeof y[i]);
      continue;
    }
    const float iscale = -127.f / max;
    for (int j = 0; j < kQK_K; ++j)
      y[i].qs[j] = static_cast<int8_t>(std::min(127, nearest_int(iscale * x[j])));
    for (int j = 0; j < kQK_K / 16; ++j) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += y[i].qs[16 * j + l];
      y[i].bsums[j] = static_cast<int16_t>(sum);
    }
    y[i].d = 1 / iscale;
  }
}

}  // namespace hearth::quant::ref
