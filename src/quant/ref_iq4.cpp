// IQ4_NL (blocks of 32, x = d * kIQ4NLValues[q]) and IQ4_XS (super-blocks of 256 with 6-bit
// sub-block scales). The quantizer is llama.cpp's quantize_iq4_nl / quantize_iq4_xs: for each
// block of 32, 15 candidate scales around max / -127 are tried with the non-linear grid, keeping
// the best weighted least-squares fit (weights x^2, or importance * sqrt(sigma2 + x^2)).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "core/fp16.h"
#include "quant/blocks.h"
#include "quant/reference.h"
#include "quant/scale_search.h"

namespace hearth::quant::ref {
namespace {

using detail::nearest_int;

constexpr int kSearchSteps = 7;  // candidate inverse scales (values[0] + k) / max, k = -7..7

// Sums of neighbouring grid values: x picks entry k once 2x reaches kGridMidSums[k - 1]. The
// same exact comparison as detail::nearest_table_index, laid out so that a block of 32 values is
// classified with vector compares (this search dominates IQ4 quantization time).
constexpr auto kGridMidSums = [] {
  std::array<float, 15> sums{};
  for (int k = 1; k < 16; ++k)
    sums[k - 1] = static_cast<float>(kIQ4NLValues[k - 1] + kIQ4NLValues[k]);
  return sums;
}();

// idx[j] = grid index nearest to id * x[j], for 32 values.
void grid_indices(const float* x, float id, int32_t* idx) {
  float twice[32];  // (32) 2 * id * x, exact doubling of the rounded product
  for (int j = 0; j < 32; ++j) {
    const float scaled = id * x[j];
    twice[j] = scaled + scaled;
    idx[j] = 0;
  }
  for (const float threshold : kGridMidSums) {
    for (int j = 0; j < 32; ++j) idx[j] += twice[j] >= threshold ? 1 : 0;
  }
}

// Best scale for one block of 32 (0 for an all-zero block). `super_sigma2` is 2 * mean(x^2) over
// the super-block, used only with importance.
float fit_iq4_block_scale(const float* x, const float* importance, float super_sigma2) {
  float weight[32];  // (32) error weights
  for (int j = 0; j < 32; ++j) {
    weight[j] = importance ? importance[j] * std::sqrt(super_sigma2 + x[j] * x[j]) : x[j] * x[j];
  }
  float amax = 0, max = 0;
  for (int j = 0; j < 32; ++j) {
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  if (amax < detail::kGroupMaxEps) return 0;
  const float values0 = kIQ4NLValues[0];
  float d = -max / values0;
  float id = 1 / d;
  int32_t idx[32];
  grid_indices(x, id, idx);
  float sumqx = 0, sumq2 = 0;
  for (int j = 0; j < 32; ++j) {
    const float q = kIQ4NLValues[idx[j]];
    sumqx += weight[j] * q * x[j];
    sumq2 += weight[j] * q * q;
  }
  d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
  float best = d * sumqx;
  for (int step = -kSearchSteps; step <= kSearchSteps; ++step) {
    id = (step + values0) / max;
    grid_indices(x, id, idx);
    sumqx = sumq2 = 0;
    for (int j = 0; j < 32; ++j) {
      const float q = kIQ4NLValues[idx[j]];
      sumqx += weight[j] * q * x[j];
      sumq2 += weight[j] * q * q;
    }
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      d = sumqx / sumq2;
      best = d * sumqx;
    }
  }
  return d;
}

float super_block_sigma2(const float* x, int n) {
  float sigma2 = 0;
  for (int j = 0; j < n; ++j) sigma2 += x[j] * x[j];
  return sigma2 * (2.f / n);
}

// Grid indices of 32 values at scale d, packed qs[j] = L[j] | L[j + 16] << 4.
void pack_iq4_block(const float* x, float d, uint8_t* qs) {
  const float id = d ? 1 / d : 0.f;
  int32_t L[32];  // (32) grid indices
  grid_indices(x, id, L);
  for (int j = 0; j < 16; ++j) qs[j] = static_cast<uint8_t>(L[j] | (L[j + 16] << 4));
}

int iq4_xs_scale(const BlockIQ4_XS& b, int ib) {
  const int low = (b.scales_l[ib / 2] >> (4 * (ib % 2))) & 0xF;
  const int high = (b.scales_h >> (2 * ib)) & 3;
  return (low | (high << 4)) - 32;
}

// Sum of grid values times y over a block of 32 (qs: 16 packed bytes).
int iq4_block_dot(const uint8_t* qs, const int8_t* y) {
  int sum = 0;
  for (int j = 0; j < 16; ++j)
    sum += kIQ4NLValues[qs[j] & 0xF] * y[j] + kIQ4NLValues[qs[j] >> 4] * y[j + 16];
  return sum;
}

}  // namespace

// ---- IQ4_NL

void iq4_nl_to_float(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockIQ4_NL*>(src);
  for (int64_t i = 0; i < n / kQK4_NL; ++i, dst += kQK4_NL) {
    const float d = fp16_to_float(x[i].d);
    for (int j = 0; j < 16; ++j) {
      dst[j] = d * kIQ4NLValues[x[i].qs[j] & 0xF];
      dst[j + 16] = d * kIQ4NLValues[x[i].qs[j] >> 4];
    }
  }
}

void iq4_nl_from_float(const float* src, void* dst, int64_t n, const float* importance) {
  auto* y = static_cast<BlockIQ4_NL*>(dst);
  for (int64_t i = 0; i < n / kQK4_NL; ++i) {
    const float* x = src + i * kQK4_NL;
    const float sigma2 = super_block_sigma2(x, kQK4_NL);
    const float d = fit_iq4_block_scale(x, importance ? importance + i * kQK4_NL : nullptr, sigma2);
    y[i].d = float_to_fp16(d);
    // Levels at the unrounded scale, as llama.cpp.
    pack_iq4_block(x, d, y[i].qs);
  }
}

float vec_dot_iq4_nl_q8_0(int64_t n, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockIQ4_NL*>(vx);
  const auto* y = static_cast<const BlockQ8_0*>(vy);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK4_NL; ++i) {
    const float d = fp16_to_float(y[i].d) * fp16_to_float(x[i].d);
    sum += d * iq4_block_dot(x[i].qs, y[i].qs);
  }
  return sum;
}

// ---- IQ4_XS

void iq4_xs_to_float(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockIQ4_XS*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float d = fp16_to_float(x[i].d);
    for (int ib = 0; ib < 8; ++ib, dst += 32) {
      const float dl = d * iq4_xs_scale(x[i], ib);
      const uint8_t* qs = x[i].qs + 16 * ib;
      for (int j = 0; j < 16; ++j) {
        dst[j] = dl * kIQ4NLValues[qs[j] & 0xF];
        dst[j + 16] = dl * kIQ4NLValues[qs[j] >> 4];
      }
    }
  }
}

void iq4_xs_from_float(const float* src, void* dst, int64_t n, const float* importance) {
  auto* y = static_cast<BlockIQ4_XS*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float* x = src + i * kQK_K;
    const float* qw = importance ? importance + i * kQK_K : nullptr;
    const float sigma2 = super_block_sigma2(x, kQK_K);
    float scales[8];  // (8) per-block scales
    float max_scale = 0, amax_scale = 0;
    for (int ib = 0; ib < 8; ++ib) {
      scales[ib] = fit_iq4_block_scale(x + 32 * ib, qw ? qw + 32 * ib : nullptr, sigma2);
      if (std::fabs(scales[ib]) > amax_scale) {
        amax_scale = std::fabs(scales[ib]);
        max_scale = scales[ib];
      }
    }
    const float d = -max_scale / 32;
    y[i].d = float_to_fp16(d);
    y[i].scales_h = 0;
    std::memset(y[i].scales_l, 0, sizeof y[i].scales_l);
    const float id = d ? 1 / d : 0.f;
    for (int ib = 0; ib < 8; ++ib) {
      int l = std::max(-32, std::min(31, nearest_int(id * scales[ib])));
      pack_iq4_block(x + 32 * ib, d * l, y[i].qs + 16 * ib);
      l += 32;
      y[i].scales_l[ib / 2] |= static_cast<uint8_t>((l & 0xF) << (4 * (ib % 2)));
      y[i].scales_h |= static_cast<uint16_t>((l >> 4) << (2 * ib));
    }
  }
}

float vec_dot_iq4_xs_q8_k(int64_t n, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockIQ4_XS*>(vx);
  const auto* y = static_cast<const BlockQ8_K*>(vy);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float d4d8 = fp16_to_float(x[i].d) * y[i].d;
    for (int ib = 0; ib < 8; ++ib) {
      sum += d4d8 * iq4_xs_scale(x[i], ib) * iq4_block_dot(x[i].qs + 16 * ib, y[i].qs + 32 * ib);
    }
  }
  return sum;
}

}  // namespace hearth::quant::ref
