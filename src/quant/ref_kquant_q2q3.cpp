// Q2_K (x = d * sc * q - dmin * m, 16 sub-blocks of 16 with 4-bit scales and mins) and Q3_K
// (x = d * sc * (q - 4), 16 sub-blocks with 6-bit signed scales). Without importance the
// quantizers are llama.cpp's reference ones (what llama-quantize writes without an imatrix); with
// importance they follow llama.cpp's imatrix paths (quantize_row_q2_K_impl / q3_K_impl).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/fp16.h"
#include "quant/blocks.h"
#include "quant/kquant_scales.h"
#include "quant/reference.h"
#include "quant/scale_search.h"

namespace hearth::quant::ref {
namespace {

using detail::nearest_int;

// Two-bit field of value p (0..255): chunk c = p/128 uses qs[32c..32c+31]; value 128c + 32j + l
// sits in bits 2j..2j+1 of qs[32c + l].
int two_bit_level(const uint8_t* qs, int p) {
  const int c = p / 128, j = (p % 128) / 32, l = p % 32;
  return (qs[32 * c + l] >> (2 * j)) & 3;
}
void pack_two_bit_levels(const uint8_t* L, uint8_t* qs) {
  for (int c = 0; c < 2; ++c) {
    const uint8_t* Lc = L + 128 * c;
    for (int l = 0; l < 32; ++l) {
      qs[32 * c + l] =
          static_cast<uint8_t>(Lc[l] | (Lc[l + 32] << 2) | (Lc[l + 64] << 4) | (Lc[l + 96] << 6));
    }
  }
}

// ---- Q2_K quantizer pieces

// Reference: |x|-weighted mean-absolute-error fit per 16, then scales and mins to 4 bits.
void fit_q2_k_reference(const float* x, uint8_t* L, BlockQ2_K* y) {
  float scales[16], mins[16], weights[kQK_K];  // weights (16, 16)
  for (int l = 0; l < kQK_K; ++l) weights[l] = std::fabs(x[l]);
  detail::AsymSearch s;
  s.rmin = -0.5f;
  s.rdelta = 0.1f;
  s.nstep = 15;
  s.use_mad = true;
  detail::fit_scale_and_min_groups(16, 16, 3, x, weights, L, scales, mins, s);
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 16; ++j) {
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  const float q4scale = 15.f;
  std::memset(y->scales, 0, sizeof y->scales);
  y->d = float_to_fp16(0.f);
  y->dmin = float_to_fp16(0.f);
  if (max_scale > 0) {
    const float iscale = q4scale / max_scale;
    for (int j = 0; j < 16; ++j)
      y->scales[j] = static_cast<uint8_t>(nearest_int(iscale * scales[j]));
    y->d = float_to_fp16(max_scale / q4scale);
  }
  if (max_min > 0) {
    const float iscale = q4scale / max_min;
    for (int j = 0; j < 16; ++j)
      y->scales[j] |= static_cast<uint8_t>(nearest_int(iscale * mins[j]) << 4);
    y->dmin = float_to_fp16(max_min / q4scale);
  }
}

// Importance: weights w * sqrt(sigma2 + x^2), v3 fit, scales and mins fitted to 4 bits.
void fit_q2_k_weighted(const float* x, const float* importance, uint8_t* L, BlockQ2_K* y) {
  float sum_x2 = 0;
  for (int j = 0; j < kQK_K; ++j) sum_x2 += x[j] * x[j];
  const float sigma2 = sum_x2 / kQK_K;
  float scales[16], mins[16], weights[kQK_K], sub_weight[16];  // weights (16, 16)
  uint8_t ls[16], lm[16];
  for (int j = 0; j < 16; ++j) {
    const float* qw = importance + 16 * j;
    float* ws = weights + 16 * j;
    for (int l = 0; l < 16; ++l) ws[l] = qw[l] * std::sqrt(sigma2 + x[16 * j + l] * x[16 * j + l]);
    sub_weight[j] = 0;
    for (int l = 0; l < 16; ++l) sub_weight[j] += ws[l];
  }
  detail::AsymSearch s;
  s.rmin = -0.9f;
  s.rdelta = 0.05f;
  s.nstep = 36;
  s.v3 = true;
  detail::fit_scale_and_min_groups(16, 16, 3, x, weights, L, scales, mins, s);
  const float dm = detail::fit_positive_scale(16, 15, scales, ls, sub_weight);
  const float mm = detail::fit_positive_scale(16, 15, mins, lm, sub_weight);
  y->d = float_to_fp16(dm);
  y->dmin = float_to_fp16(mm);
  for (int j = 0; j < 16; ++j) y->scales[j] = static_cast<uint8_t>(ls[j] | (lm[j] << 4));
}

void quantize_q2_k_block(const float* x, const float* importance, BlockQ2_K* y) {
  uint8_t L[kQK_K];  // (256) levels 0..3
  if (importance) {
    fit_q2_k_weighted(x, importance, L, y);
  } else {
    fit_q2_k_reference(x, L, y);
  }
  const float d_all = fp16_to_float(y->d), m_all = fp16_to_float(y->dmin);
  for (int j = 0; j < 16; ++j) {
    const float d = d_all * (y->scales[j] & 0xF);
    if (!d) continue;
    const float dm = m_all * (y->scales[j] >> 4);
    for (int l = 0; l < 16; ++l) {
      L[16 * j + l] =
          static_cast<uint8_t>(std::max(0, std::min(3, nearest_int((x[16 * j + l] + dm) / d))));
    }
  }
  pack_two_bit_levels(L, y->qs);
}

// ---- Q3_K quantizer pieces

// Returns the 16 scale levels (0..63, i.e. scale + 32) and d; L gets the fitted levels.
void fit_q3_k_scales(const float* x, const float* importance, int8_t* L, int* scale_levels,
                     float* d_out) {
  float scales[16];
  if (!importance) {
    float max_scale = 0, amax = 0;
    for (int j = 0; j < 16; ++j) {
      scales[j] = detail::fit_symmetric_scale_q3(16, 4, x + 16 * j, L + 16 * j, true);
      if (std::fabs(scales[j]) > amax) {
        amax = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    if (!max_scale) {
      std::fill(scale_levels, scale_levels + 16, 0);  // all scale bytes zero, as llama.cpp
      *d_out = 0.f;
      return;
    }
    const float iscale = -32.f / max_scale;
    for (int j = 0; j < 16; ++j) {
      // llama.cpp stores the rounded value in an int8_t before clamping.
      const int8_t l = static_cast<int8_t>(nearest_int(iscale * scales[j]));
      scale_levels[j] = std::max<int>(-32, std::min<int>(31, l)) + 32;
    }
    *d_out = 1 / iscale;
    return;
  }
  float sum_x2 = 0;
  for (int j = 0; j < kQK_K; ++j) sum_x2 += x[j] * x[j];
  const float sigma2 = 2 * sum_x2 / kQK_K;
  float weights[16], sub_weight[16];
  for (int j = 0; j < 16; ++j) {
    const float* qw = importance + 16 * j;
    for (int l = 0; l < 16; ++l)
      weights[l] = qw[l] * std::sqrt(sigma2 + x[16 * j + l] * x[16 * j + l]);
    float sumw = 0;
    for (int l = 0; l < 16; ++l) sumw += weights[l];
    sub_weight[j] = sumw;
    scales[j] = detail::fit_symmetric_scale(16, 4, x + 16 * j, L + 16 * j, 1, weights);
  }
  int8_t ls[16];
  *d_out = detail::fit_symmetric_scale(16, 32, scales, ls, 1, sub_weight);
  for (int j = 0; j < 16; ++j) scale_levels[j] = ls[j];
}

void quantize_q3_k_block(const float* x, const float* importance, BlockQ3_K* y) {
  int8_t L[kQK_K];  // (256) levels 0..7
  int scale_levels[16];
  float d_block;
  fit_q3_k_scales(x, importance, L, scale_levels, &d_block);
  detail::pack_q3_k_scales(scale_levels, y->scales);
  y->d = float_to_fp16(d_block);
  for (int j = 0; j < 16; ++j) {
    const float d = fp16_to_float(y->d) * detail::q3_k_scale(y->scales, j);
    if (!d) continue;
    for (int l = 0; l < 16; ++l) {
      L[16 * j + l] =
          static_cast<int8_t>(std::max(-4, std::min(3, nearest_int(x[16 * j + l] / d))) + 4);
    }
  }
  // Bit 2 of value p goes to bit p/32 of hmask[p % 32]; the low two bits to qs.
  std::memset(y->hmask, 0, sizeof y->hmask);
  uint8_t low[kQK_K];
  for (int p = 0; p < kQK_K; ++p) {
    if (L[p] > 3) y->hmask[p % 32] |= static_cast<uint8_t>(1 << (p / 32));
    low[p] = static_cast<uint8_t>(L[p] & 3);
  }
  pack_two_bit_levels(low, y->qs);
}

int q3_k_level(const BlockQ3_K& b, int p) {
  const int high = (b.hmask[p % 32] >> (p / 32)) & 1;
  return two_bit_level(b.qs, p) - (high ? 0 : 4);
}

}  // namespace

// ---- Q2_K

void q2_k_to_float(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockQ2_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    const float d = fp16_to_float(x[i].d);
    const float min = fp16_to_float(x[i].dmin);
    for (int j = 0; j < 16; ++j) {
      const uint8_t sc = x[i].scales[j];
      const float dl = d * (sc & 0xF), ml = min * (sc >> 4);
      for (int l = 0; l < 16; ++l) dst[16 * j + l] = dl * two_bit_level(x[i].qs, 16 * j + l) - ml;
    }
  }
}

void q2_k_from_float(const float* src, void* dst, int64_t n, const float* importance) {
  auto* y = static_cast<BlockQ2_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    quantize_q2_k_block(src + i * kQK_K, importance ? importance + i * kQK_K : nullptr, &y[i]);
  }
}

float vec_dot_q2_k_q8_k(int64_t n, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ2_K*>(vx);
  const auto* y = static_cast<const BlockQ8_K*>(vy);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int sum_scaled = 0, sum_mins = 0;
    for (int j = 0; j < 16; ++j) {
      int dot = 0;
      for (int l = 0; l < 16; ++l) dot += two_bit_level(x[i].qs, 16 * j + l) * y[i].qs[16 * j + l];
      sum_scaled += (x[i].scales[j] & 0xF) * dot;
      sum_mins += (x[i].scales[j] >> 4) * y[i].bsums[j];
    }
    const float dall = y[i].d * fp16_to_float(x[i].d);
    const float dmin = y[i].d * fp16_to_float(x[i].dmin);
    sum += dall * sum_scaled - dmin * sum_mins;
  }
  return sum;
}

// ---- Q3_K

void q3_k_to_float(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockQ3_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    const float d_all = fp16_to_float(x[i].d);
    for (int j = 0; j < 16; ++j) {
      const float dl = d_all * detail::q3_k_scale(x[i].scales, j);
      for (int l = 0; l < 16; ++l) dst[16 * j + l] = dl * q3_k_level(x[i], 16 * j + l);
    }
  }
}

void q3_k_from_float(const float* src, void* dst, int64_t n, const float* importance) {
  auto* y = static_cast<BlockQ3_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    quantize_q3_k_block(src + i * kQK_K, importance ? importance + i * kQK_K : nullptr, &y[i]);
  }
}

float vec_dot_q3_k_q8_k(int64_t n, const void* vx, const void* vy) {
  const auto* x = static_cast<const BlockQ3_K*>(vx);
  const auto* y = static_cast<const BlockQ8_K*>(vy);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int sum_scaled = 0;
    for (int j = 0; j < 16; ++j) {
      int dot = 0;
      for (int l = 0; l < 16; ++l) dot += q3_k_level(x[i], 16 * j + l) * y[i].qs[16 * j + l];
      sum_scaled += detail::q3_k_scale(x[i].scales, j) * dot;
    }
    sum += fp16_to_float(x[i].d) * y[i].d * sum_scaled;
  }
  return sum;
}

}  // namespace hearth::quant::ref
