// AVX2 version of the asymmetric scale/min search (fit_scale_and_min / _v3, llama.cpp's
// make_qkx2_quants / make_qkx3_quants) for 8 groups at once: lane g of every vector is group g,
// and each lane runs exactly the scalar algorithm, the same float operations in the same order.
// Vectorizing across groups (not across the values of one group) keeps every sum in its serial
// order, so the results are bit-identical to the scalar code. This file is compiled with
// -ffp-contract=off (src/CMakeLists.txt): a fused multiply-add would change the rounding.
// (Also used on AVX-512 machines: the target cores run 512-bit float ops as two 256-bit halves.)
#include <immintrin.h>

#include <cstdint>

#include "quant/scale_search.h"

namespace hearth::quant::detail {
namespace {

// round_clamped() of scale_search.cpp in 8 lanes: min(max(v, 0), nmax) rounded to the nearest
// integer, ties to even. (max_ps turns -0 into +0 where std::max keeps -0; both round to +0.)
inline __m256 round_clamped8(__m256 v, __m256 nmax) {
  const __m256 magic = _mm256_set1_ps(12582912.f);
  const __m256 c = _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), nmax);
  return _mm256_sub_ps(_mm256_add_ps(c, magic), magic);
}

inline __m256 error_term(__m256 diff, bool use_mad) {
  return use_mad ? _mm256_andnot_ps(_mm256_set1_ps(-0.0f), diff) : _mm256_mul_ps(diff, diff);
}

inline __m256 blend_if(__m256 keep, __m256 take, __m256 mask) {
  return _mm256_blendv_ps(keep, take, mask);
}

}  // namespace

bool fit_scale_and_min_x8_avx2(int n, int nmax, const float* x, const float* weights, uint8_t* L,
                               float* scales, float* neg_mins, const AsymSearch& s) {
  if (n < 1 || n > kMaxFitGroup) return false;
  __m256 xv[kMaxFitGroup], wv[kMaxFitGroup];    // (n) x (8 lanes): value i of each group
  __m256 lv[kMaxFitGroup], cand[kMaxFitGroup];  // (n) x (8 lanes): best and candidate levels
  const __m256i stride =                        // (8) offset of group g's first value
      _mm256_mullo_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  for (int i = 0; i < n; ++i) {
    xv[i] = _mm256_i32gather_ps(x + i, stride, 4);
    wv[i] = _mm256_i32gather_ps(weights + i, stride, 4);
  }
  const __m256 zero = _mm256_setzero_ps();
  __m256 min = xv[0], max = xv[0], sum_w = wv[0];
  __m256 sum_x = _mm256_mul_ps(sum_w, xv[0]);
  for (int i = 1; i < n; ++i) {
    min = _mm256_min_ps(xv[i], min);  // x < min ? x : min
    max = _mm256_max_ps(xv[i], max);  // x > max ? x : max
    sum_w = _mm256_add_ps(sum_w, wv[i]);
    sum_x = _mm256_add_ps(sum_x, _mm256_mul_ps(wv[i], xv[i]));
  }
  min = blend_if(min, zero, _mm256_cmp_ps(min, zero, _CMP_GT_OQ));
  const __m256 empty =
      s.v3 ? _mm256_cmp_ps(max, min, _CMP_LE_OQ) : _mm256_cmp_ps(max, min, _CMP_EQ_OQ);
  if (_mm256_movemask_ps(empty) != 0) return false;  // the caller runs the scalar code

  const __m256 nmax_v = _mm256_set1_ps(static_cast<float>(nmax));
  __m256 iscale = _mm256_div_ps(nmax_v, _mm256_sub_ps(max, min));
  __m256 scale = _mm256_div_ps(_mm256_set1_ps(1.0f), iscale);
  __m256 best_error = zero;
  for (int i = 0; i < n; ++i) {
    lv[i] = round_clamped8(_mm256_mul_ps(iscale, _mm256_sub_ps(xv[i], min)), nmax_v);
    const __m256 diff = _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(scale, lv[i]), min), xv[i]);
    best_error = _mm256_add_ps(best_error, _mm256_mul_ps(wv[i], error_term(diff, s.use_mad)));
  }
  for (int step = 0; step <= s.nstep && s.nstep >= 1; ++step) {
    const float num = s.rmin + s.rdelta * step + nmax;  // the scalar code's expression
    iscale = _mm256_div_ps(_mm256_set1_ps(num), _mm256_sub_ps(max, min));
    __m256 sum_l = zero, sum_l2 = zero, sum_xl = zero;
    for (int i = 0; i < n; ++i) {
      cand[i] = round_clamped8(_mm256_mul_ps(iscale, _mm256_sub_ps(xv[i], min)), nmax_v);
      const __m256 wl = _mm256_mul_ps(wv[i], cand[i]);
      sum_l = _mm256_add_ps(sum_l, wl);
      sum_l2 = _mm256_add_ps(sum_l2, _mm256_mul_ps(wl, cand[i]));
      sum_xl = _mm256_add_ps(sum_xl, _mm256_mul_ps(wl, xv[i]));
    }
    const __m256 det = _mm256_sub_ps(_mm256_mul_ps(sum_w, sum_l2), _mm256_mul_ps(sum_l, sum_l));
    const __m256 det_ok = _mm256_cmp_ps(det, zero, _CMP_GT_OQ);
    if (_mm256_movemask_ps(det_ok) == 0) continue;
    __m256 this_scale = _mm256_div_ps(
        _mm256_sub_ps(_mm256_mul_ps(sum_w, sum_xl), _mm256_mul_ps(sum_x, sum_l)), det);
    __m256 this_min = _mm256_div_ps(
        _mm256_sub_ps(_mm256_mul_ps(sum_l2, sum_x), _mm256_mul_ps(sum_l, sum_xl)), det);
    const __m256 min_pos = _mm256_cmp_ps(this_min, zero, _CMP_GT_OQ);
    this_min = blend_if(this_min, zero, min_pos);
    this_scale = blend_if(this_scale, _mm256_div_ps(sum_xl, sum_l2), min_pos);
    __m256 error = zero;
    for (int i = 0; i < n; ++i) {
      const __m256 diff =
          _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(this_scale, cand[i]), this_min), xv[i]);
      error = _mm256_add_ps(error, _mm256_mul_ps(wv[i], error_term(diff, s.use_mad)));
    }
    const __m256 better = _mm256_and_ps(det_ok, _mm256_cmp_ps(error, best_error, _CMP_LT_OQ));
    if (_mm256_movemask_ps(better) == 0) continue;
    for (int i = 0; i < n; ++i) lv[i] = blend_if(lv[i], cand[i], better);
    best_error = blend_if(best_error, error, better);
    scale = blend_if(scale, this_scale, better);
    min = blend_if(min, this_min, better);
  }
  alignas(32) float lanes[8];
  alignas(32) int32_t levels[8];
  _mm256_storeu_ps(scales, scale);
  _mm256_store_ps(lanes, min);
  for (int g = 0; g < 8; ++g) neg_mins[g] = -lanes[g];
  for (int i = 0; i < n; ++i) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(levels), _mm256_cvttps_epi32(lv[i]));
    for (int g = 0; g < 8; ++g) L[g * n + i] = static_cast<uint8_t>(levels[g]);
  }
  return true;
}

namespace {

// nearest_int(v) clamped to [-nmax, nmax - 1], as a float (|v| < 2^22).
inline __m256 round_symmetric8(__m256 v, __m256 lo, __m256 hi) {
  const __m256 magic = _mm256_set1_ps(12582912.f);
  const __m256 r = _mm256_sub_ps(_mm256_add_ps(v, magic), magic);
  return _mm256_min_ps(_mm256_max_ps(r, lo), hi);
}

}  // namespace

bool fit_symmetric_scale_x8_avx2(int n, int nmax, const float* x, const float* weights, int8_t* L,
                                 float* scales) {
  if (n < 1 || n > kMaxFitGroup) return false;
  __m256 xv[kMaxFitGroup], wv[kMaxFitGroup];    // (n) x (8 lanes): value i of each group
  __m256 lv[kMaxFitGroup], cand[kMaxFitGroup];  // (n) x (8 lanes): best and candidate levels
  const __m256i stride =                        // (8) offset of group g's first value
      _mm256_mullo_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const __m256 sign = _mm256_set1_ps(-0.0f), zero = _mm256_setzero_ps();
  __m256 amax = zero, max = zero;
  for (int i = 0; i < n; ++i) {
    xv[i] = _mm256_i32gather_ps(x + i, stride, 4);
    wv[i] = weights ? _mm256_i32gather_ps(weights + i, stride, 4) : _mm256_mul_ps(xv[i], xv[i]);
    const __m256 ax = _mm256_andnot_ps(sign, xv[i]);
    const __m256 larger = _mm256_cmp_ps(ax, amax, _CMP_GT_OQ);  // the first one wins ties
    amax = blend_if(amax, ax, larger);
    max = blend_if(max, xv[i], larger);
  }
  if (_mm256_movemask_ps(_mm256_cmp_ps(amax, _mm256_set1_ps(kGroupMaxEps), _CMP_LT_OQ)) != 0)
    return false;  // an all-zero group: the caller runs the scalar code
  const __m256 lo = _mm256_set1_ps(static_cast<float>(-nmax));
  const __m256 hi = _mm256_set1_ps(static_cast<float>(nmax - 1));
  __m256 iscale = _mm256_div_ps(_mm256_set1_ps(static_cast<float>(-nmax)), max);
  __m256 sumlx = zero, suml2 = zero;
  for (int i = 0; i < n; ++i) {
    lv[i] = round_symmetric8(_mm256_mul_ps(iscale, xv[i]), lo, hi);
    sumlx = _mm256_add_ps(sumlx, _mm256_mul_ps(_mm256_mul_ps(wv[i], xv[i]), lv[i]));
    suml2 = _mm256_add_ps(suml2, _mm256_mul_ps(_mm256_mul_ps(wv[i], lv[i]), lv[i]));
  }
  __m256 scale =
      blend_if(zero, _mm256_div_ps(sumlx, suml2), _mm256_cmp_ps(suml2, zero, _CMP_NEQ_UQ));
  __m256 best = _mm256_mul_ps(scale, sumlx);
  for (int step = -9; step <= 9; ++step) {
    if (step == 0) continue;
    const float num = -(nmax + 0.1f * step);  // the scalar code's expression
    iscale = _mm256_div_ps(_mm256_set1_ps(num), max);
    sumlx = suml2 = zero;
    for (int i = 0; i < n; ++i) {
      cand[i] = round_symmetric8(_mm256_mul_ps(iscale, xv[i]), lo, hi);
      sumlx = _mm256_add_ps(sumlx, _mm256_mul_ps(_mm256_mul_ps(wv[i], xv[i]), cand[i]));
      suml2 = _mm256_add_ps(suml2, _mm256_mul_ps(_mm256_mul_ps(wv[i], cand[i]), cand[i]));
    }
    const __m256 better = _mm256_and_ps(
        _mm256_cmp_ps(suml2, zero, _CMP_GT_OQ),
        _mm256_cmp_ps(_mm256_mul_ps(sumlx, sumlx), _mm256_mul_ps(best, suml2), _CMP_GT_OQ));
    if (_mm256_movemask_ps(better) == 0) continue;
    for (int i = 0; i < n; ++i) lv[i] = blend_if(lv[i], cand[i], better);
    scale = blend_if(scale, _mm256_div_ps(sumlx, suml2), better);
    best = blend_if(best, _mm256_mul_ps(scale, sumlx), better);
  }
  _mm256_storeu_ps(scales, scale);
  alignas(32) int32_t levels[8];
  const __m256 offset = _mm256_set1_ps(static_cast<float>(nmax));
  for (int i = 0; i < n; ++i) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(levels),
                       _mm256_cvttps_epi32(_mm256_add_ps(lv[i], offset)));
    for (int g = 0; g < 8; ++g) L[g * n + i] = static_cast<int8_t>(levels[g]);
  }
  return true;
}

}  // namespace hearth::quant::detail
