// Q4_K and Q5_K: super-blocks of 256 values in 8 sub-blocks of 32, x = d * sc * q - dmin * m with
// 6-bit sub-block scales sc and mins m. Without importance the quantizer is llama.cpp's reference
// (quantize_row_q4_K_ref / q5_K_ref, which is also what llama-quantize writes without an imatrix);
// with importance it is llama.cpp's imatrix path (quantize_row_q4_K_impl / q5_K_impl).
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

using detail::get_scale_min_k4;
using detail::nearest_int;

struct SubBlockFit {
  float scales[8];  // (8) per sub-block scale
  float mins[8];    // (8) per sub-block -min (>= 0)
};

// Reference fit: weights av_x + |x| per sub-block, then the scales/mins to 6 bits by rounding.
void fit_k4_reference(const float* x, int nmax, float rmin, int nstep, uint8_t* L,
                      SubBlockFit* fit) {
  float weights[kQK_K];  // (8, 32) per sub-block
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + 32 * j;
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[32 * j + l] = av_x + std::fabs(xs[l]);
  }
  detail::AsymSearch s;
  s.rmin = rmin;
  s.rdelta = 0.1f;
  s.nstep = nstep;
  detail::fit_scale_and_min_groups(8, 32, nmax, x, weights, L, fit->scales, fit->mins, s);
}

// Packs scales/mins (reference path): largest scale and largest min map to 63.
void pack_k4_reference(const SubBlockFit& fit, uint8_t* packed, fp16_t* d, fp16_t* dmin) {
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    if (fit.scales[j] > max_scale) max_scale = fit.scales[j];
    if (fit.mins[j] > max_min) max_min = fit.mins[j];
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  uint8_t ls[8], lm[8];
  for (int j = 0; j < 8; ++j) {
    // The uint8_t conversion before the clamp is llama.cpp's (values stay in 0..63 anyway).
    ls[j] = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_scale * fit.scales[j])));
    lm[j] = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_min * fit.mins[j])));
  }
  detail::pack_scale_min_k4(ls, lm, packed);
  *d = float_to_fp16(max_scale / 63.f);
  *dmin = float_to_fp16(max_min / 63.f);
}

// Importance fit: weights w * sqrt(sigma2 + x^2), the v3 search, then the 8 scales and 8 mins
// themselves fitted to 6 bits weighted by each sub-block's total weight.
void fit_k4_weighted(const float* x, const float* importance, int nmax, uint8_t* L, uint8_t* packed,
                     fp16_t* d, fp16_t* dmin) {
  float sum_x2 = 0;
  for (int l = 0; l < kQK_K; ++l) sum_x2 += x[l] * x[l];
  const float sigma2 = 2 * sum_x2 / kQK_K;
  float weights[kQK_K], sub_weight[8], scales[8], mins[8];  // weights (8, 32)
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + 32 * j;
    const float* qw = importance + 32 * j;
    float* ws = weights + 32 * j;
    for (int l = 0; l < 32; ++l) ws[l] = qw[l] * std::sqrt(sigma2 + xs[l] * xs[l]);
    float sumw = 0;
    for (int l = 0; l < 32; ++l) sumw += ws[l];
    sub_weight[j] = sumw;
  }
  detail::AsymSearch s;
  s.rmin = -0.9f;
  s.rdelta = 0.05f;
  s.nstep = 36;
  s.v3 = true;
  detail::fit_scale_and_min_groups(8, 32, nmax, x, weights, L, scales, mins, s);
  uint8_t ls[8], lm[8];
  const float d_block = detail::fit_positive_scale(8, 63, scales, ls, sub_weight);
  const float m_block = detail::fit_positive_scale(8, 63, mins, lm, sub_weight);
  detail::pack_scale_min_k4(ls, lm, packed);
  *d = float_to_fp16(d_block);
  *dmin = float_to_fp16(m_block);
}

// Final levels with the rounded (stored) scales: L = round((x + dmin*m) / (d*sc)) in [0, nmax].
// Sub-blocks whose scale rounds to 0 keep the levels of the fit.
void requantize_k4(const float* x, const uint8_t* packed, fp16_t d16, fp16_t dmin16, int nmax,
                   uint8_t* L) {
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    get_scale_min_k4(j, packed, &sc, &m);
    const float d = fp16_to_float(d16) * sc;
    if (!d) continue;
    const float dm = fp16_to_float(dmin16) * m;
    for (int l = 0; l < 32; ++l) {
      L[32 * j + l] =
          static_cast<uint8_t>(std::max(0, std::min(nmax, nearest_int((x[32 * j + l] + dm) / d))));
    }
  }
}

// Levels of a super-block (256, 0..nmax) with scales packed and d/dmin set.
void quantize_k4_levels(const float* x, const float* importance, int nmax, float rmin, int nstep,
                        uint8_t* L, uint8_t* packed, fp16_t* d, fp16_t* dmin) {
  std::memset(packed, 0, kK_SCALE_SIZE);
  if (importance) {
    fit_k4_weighted(x, importance, nmax, L, packed, d, dmin);
  } else {
    SubBlockFit fit;
    fit_k4_reference(x, nmax, rmin, nstep, L, &fit);
    pack_k4_reference(fit, packed, d, dmin);
  }
  requantize_k4(x, packed, *d, *dmin, nmax, L);
}

// Decoded sub-block scales and mins of a Q4_K / Q5_K block.
void unpack_scale_min_k4(const uint8_t* packed, int* scales, int* mins) {
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    get_scale_min_k4(j, packed, &sc, &m);
    scales[j] = sc;
    mins[j] = m;
  }
}

// Q4_K level of value p (0..255): 64-value chunks, low nibbles first, then high nibbles.
int q4_k_level(const BlockQ4_K& b, int p) {
  const uint8_t byte = b.qs[32 * (p / 64) + p % 32];
  return (p % 64) < 32 ? byte & 0xF : byte >> 4;
}
// Q5_K: as Q4_K plus a fifth bit in qh[p % 32], bit 2*(p/64) + ((p%64) >= 32).
int q5_k_level(const BlockQ5_K& b, int p) {
  const uint8_t byte = b.qs[32 * (p / 64) + p % 32];
  const int high_half = (p % 64) >= 32;
  const int low = high_half ? byte >> 4 : byte & 0xF;
  const int bit = (b.qh[p % 32] >> (2 * (p / 64) + high_half)) & 1;
  return low | (bit << 4);
}

// sum over sub-blocks of sc * (q . y) - dmin-part: the integer core shared by Q4_K and Q5_K.
template <typename Block, int (*level)(const Block&, int)>
float vec_dot_k4_like(int64_t n, const void* vx, const void* vy) {
  const auto* x = static_cast<const Block*>(vx);
  const auto* y = static_cast<const BlockQ8_K*>(vy);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int scales[8], mins[8];
    unpack_scale_min_k4(x[i].scales, scales, mins);
    int sum_scaled = 0, sum_mins = 0;
    for (int j = 0; j < 8; ++j) {
      int dot = 0;
      for (int l = 0; l < 32; ++l) dot += level(x[i], 32 * j + l) * y[i].qs[32 * j + l];
      sum_scaled += scales[j] * dot;
      sum_mins += mins[j] * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
    }
    const float d = fp16_to_float(x[i].d) * y[i].d;
    const float dmin = fp16_to_float(x[i].dmin) * y[i].d;
    sum += d * sum_scaled - dmin * sum_mins;
  }
  return sum;
}

}  // namespace

// ---- Q4_K

void q4_k_to_float(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockQ4_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float d = fp16_to_float(x[i].d);
    const float min = fp16_to_float(x[i].dmin);
    const uint8_t* q = x[i].qs;
    for (int j = 0; j < 8; j += 2, q += 32) {
      uint8_t sc, m;
      get_scale_min_k4(j, x[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = min * m;
      get_scale_min_k4(j + 1, x[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = min * m;
      for (int l = 0; l < 32; ++l) *dst++ = d1 * (q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *dst++ = d2 * (q[l] >> 4) - m2;
    }
  }
}

void q4_k_from_float(const float* src, void* dst, int64_t n, const float* importance) {
  auto* y = static_cast<BlockQ4_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    uint8_t L[kQK_K];  // (256) levels 0..15
    quantize_k4_levels(src + i * kQK_K, importance ? importance + i * kQK_K : nullptr, 15, -1.f, 20,
                       L, y[i].scales, &y[i].d, &y[i].dmin);
    for (int chunk = 0; chunk < 4; ++chunk) {
      const uint8_t* Lc = L + 64 * chunk;
      for (int l = 0; l < 32; ++l)
        y[i].qs[32 * chunk + l] = static_cast<uint8_t>(Lc[l] | (Lc[l + 32] << 4));
    }
  }
}

float vec_dot_q4_k_q8_k(int64_t n, const void* x, const void* y) {
  return vec_dot_k4_like<BlockQ4_K, q4_k_level>(n, x, y);
}

// ---- Q5_K

void q5_k_to_float(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockQ5_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float d = fp16_to_float(x[i].d);
    const float min = fp16_to_float(x[i].dmin);
    const uint8_t* ql = x[i].qs;
    const uint8_t* qh = x[i].qh;
    uint8_t u1 = 1, u2 = 2;
    for (int j = 0; j < 8; j += 2, ql += 32) {
      uint8_t sc, m;
      get_scale_min_k4(j, x[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = min * m;
      get_scale_min_k4(j + 1, x[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = min * m;
      for (int l = 0; l < 32; ++l) *dst++ = d1 * ((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *dst++ = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
      u1 = static_cast<uint8_t>(u1 << 2);
      u2 = static_cast<uint8_t>(u2 << 2);
    }
  }
}

void q5_k_from_float(const float* src, void* dst, int64_t n, const float* importance) {
  auto* y = static_cast<BlockQ5_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    uint8_t L[kQK_K];  // (256) levels 0..31
    quantize_k4_levels(src + i * kQK_K, importance ? importance + i * kQK_K : nullptr, 31, -0.5f,
                       15, L, y[i].scales, &y[i].d, &y[i].dmin);
    std::memset(y[i].qh, 0, sizeof y[i].qh);
    for (int chunk = 0; chunk < 4; ++chunk) {
      const uint8_t* Lc = L + 64 * chunk;
      for (int l = 0; l < 32; ++l) {
        const int lo = Lc[l], hi = Lc[l + 32];
        y[i].qs[32 * chunk + l] = static_cast<uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
        y[i].qh[l] |=
            static_cast<uint8_t>(((lo >> 4) << (2 * chunk)) | ((hi >> 4) << (2 * chunk + 1)));
      }
    }
  }
}

float vec_dot_q5_k_q8_k(int64_t n, const void* x, const void* y) {
  return vec_dot_k4_like<BlockQ5_K, q5_k_level>(n, x, y);
}

}  // namespace hearth::quant::ref
