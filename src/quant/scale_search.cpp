// Scale searches of the reference quantizers (see scale_search.h). The order of every float
// operation matters: it decides ties in rounding, and so whether hearth writes llama.cpp's bytes.
#include "quant/scale_search.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace hearth::quant::detail {
namespace {

float error_weight(int error_weighting, const float* weights, const float* x, int i) {
  if (weights) return weights[i];
  switch (error_weighting) {
    case 1:
      return x[i] * x[i];
    case 2:
      return 1.f;
    case 3:
      return std::fabs(x[i]);
    default:
      return std::sqrt(std::fabs(x[i]));
  }
}

// Value with the largest magnitude (the first one on ties); 0 for an empty group.
float signed_abs_max(int n, const float* x, float* abs_max) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  *abs_max = amax;
  return max;
}

int clamp_level(int l, int lo, int hi) {
  return std::max(lo, std::min(hi, l));
}

}  // namespace

float fit_symmetric_scale(int n, int nmax, const float* x, int8_t* L, int error_weighting,
                          const float* weights) {
  float amax;
  const float max = signed_abs_max(n, x, &amax);
  if (amax < kGroupMaxEps) {
    std::fill(L, L + n, int8_t{0});
    return 0.f;
  }
  float iscale = -nmax / max;
  if (error_weighting == 0) {
    for (int i = 0; i < n; ++i) {
      L[i] = static_cast<int8_t>(nmax + clamp_level(nearest_int(iscale * x[i]), -nmax, nmax - 1));
    }
    return 1 / iscale;
  }
  const bool return_early = error_weighting < 0;
  if (return_early) error_weighting = -error_weighting;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = clamp_level(nearest_int(iscale * x[i]), -nmax, nmax - 1);
    L[i] = static_cast<int8_t>(l + nmax);
    const float w = error_weight(error_weighting, weights, x, i);
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  float scale = suml2 ? sumlx / suml2 : 0.0f;
  if (return_early) return suml2 > 0 ? 0.5f * (scale + 1 / iscale) : 1 / iscale;
  float best = scale * sumlx;
  for (int step = -9; step <= 9; ++step) {
    if (step == 0) continue;
    iscale = -(nmax + 0.1f * step) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = clamp_level(nearest_int(iscale * x[i]), -nmax, nmax - 1);
      const float w = error_weight(error_weighting, weights, x, i);
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
    // sumlx^2 / suml2 is the error reduction of the least-squares scale: larger is better.
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) {
        L[i] = static_cast<int8_t>(nmax + clamp_level(nearest_int(iscale * x[i]), -nmax, nmax - 1));
      }
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

float fit_symmetric_scale_q3(int n, int nmax, const float* x, int8_t* L, bool refine) {
  float amax;
  const float max = signed_abs_max(n, x, &amax);
  if (amax < kGroupMaxEps) {
    std::fill(L, L + n, int8_t{0});
    return 0.f;
  }
  const float iscale = -nmax / max;
  if (!refine) {
    for (int i = 0; i < n; ++i) {
      L[i] = static_cast<int8_t>(clamp_level(nearest_int(iscale * x[i]), -nmax, nmax - 1) + nmax);
    }
    return 1 / iscale;
  }
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = clamp_level(nearest_int(iscale * x[i]), -nmax, nmax - 1);
    L[i] = static_cast<int8_t>(l);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  for (int pass = 0; pass < 5; ++pass) {
    int n_changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * L[i];
      if (slx <= 0) continue;
      float sl2 = suml2 - w * L[i] * L[i];
      const int new_l = clamp_level(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
      if (new_l == L[i]) continue;
      slx += w * x[i] * new_l;
      sl2 += w * new_l * new_l;
      if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
        L[i] = static_cast<int8_t>(new_l);
        sumlx = slx;
        suml2 = sl2;
        ++n_changed;
      }
    }
    if (!n_changed) break;
  }
  for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(L[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

namespace {

// nearest_int(min(max(v, 0), nmax)) as a float: adding and removing 1.5 * 2^23 rounds to the
// nearest integer with ties to even, exactly as nearest_int does.
inline float round_clamped(float v, int nmax) {
  const float clamped = std::min(std::max(v, 0.0f), static_cast<float>(nmax));
  return (clamped + 12582912.f) - 12582912.f;
}

// Shared body of the two asymmetric searches. `weights` null means x^2; `v3` selects
// make_qkx3_quants' test for an empty range (max <= min instead of max == min).
float fit_scale_and_min_impl(int n, int nmax, const float* x, const float* weights, uint8_t* L,
                             float* neg_min, float rmin, float rdelta, int nstep, bool use_mad,
                             bool v3) {
  assert(n <= kMaxFitGroup);
  float w[kMaxFitGroup] = {};  // (n) error weights
  for (int i = 0; i < n; ++i) w[i] = weights ? weights[i] : x[i] * x[i];
  float min = x[0], max = x[0];
  float sum_w = w[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (min > 0) min = 0;
  if (v3 ? max <= min : max == min) {
    std::fill(L, L + n, uint8_t{0});
    *neg_min = -min;
    return 0.f;
  }
  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    L[i] = static_cast<uint8_t>(clamp_level(nearest_int(iscale * (x[i] - min)), 0, nmax));
    float diff = scale * L[i] + min - x[i];
    diff = use_mad ? std::fabs(diff) : diff * diff;
    best_error += w[i] * diff;
  }
  if (nstep < 1) {
    *neg_min = -min;
    return scale;
  }
  float levels[kMaxFitGroup];  // (n) candidate levels of the current step, as floats
  for (int step = 0; step <= nstep; ++step) {
    iscale = (rmin + rdelta * step + nmax) / (max - min);
    // Levels first (a vectorizable pass): clamping before rounding equals rounding then clamping,
    // for both llama.cpp variants.
    for (int i = 0; i < n; ++i) levels[i] = round_clamped(iscale * (x[i] - min), nmax);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const float l = levels[i];
      sum_l += w[i] * l;
      sum_l2 += w[i] * l * l;
      sum_xl += w[i] * l * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (!(det > 0)) continue;
    float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
    float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
    if (this_min > 0) {
      this_min = 0;
      this_scale = sum_xl / sum_l2;
    }
    float error = 0;
    for (int i = 0; i < n; ++i) {
      float diff = this_scale * levels[i] + this_min - x[i];
      diff = use_mad ? std::fabs(diff) : diff * diff;
      error += w[i] * diff;
    }
    if (error < best_error) {
      for (int i = 0; i < n; ++i) L[i] = static_cast<uint8_t>(levels[i]);
      best_error = error;
      scale = this_scale;
      min = this_min;
    }
  }
  *neg_min = -min;
  return scale;
}

}  // namespace

float fit_scale_and_min(int n, int nmax, const float* x, const float* weights, uint8_t* L,
                        float* neg_min, float rmin, float rdelta, int nstep, bool use_mad) {
  return fit_scale_and_min_impl(n, nmax, x, weights, L, neg_min, rmin, rdelta, nstep, use_mad,
                                /*v3=*/false);
}

float fit_scale_and_min_v3(int n, int nmax, const float* x, const float* weights, uint8_t* L,
                           float* neg_min, float rmin, float rdelta, int nstep, bool use_mad) {
  return fit_scale_and_min_impl(n, nmax, x, weights, L, neg_min, rmin, rdelta, nstep, use_mad,
                                /*v3=*/true);
}

namespace {

bool cpu_has_avx2() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  // __builtin_cpu_supports also checks that the OS saves the YMM state.
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

std::atomic<bool>& vector_search_slot() {
  static std::atomic<bool> on{[] {
    const char* isa = std::getenv("HEARTH_ISA");
    return cpu_has_avx2() && !(isa != nullptr && std::strcmp(isa, "scalar") == 0);
  }()};
  return on;
}

}  // namespace

bool vector_search_enabled() {
  return vector_search_slot().load(std::memory_order_relaxed);
}

bool set_vector_search(bool on) {
  return vector_search_slot().exchange(on && cpu_has_avx2(), std::memory_order_relaxed);
}

void fit_scale_and_min_groups(int n_groups, int n, int nmax, const float* x, const float* weights,
                              uint8_t* L, float* scales, float* neg_mins, const AsymSearch& s) {
  assert(n <= kMaxFitGroup && weights != nullptr);
  int g = 0;
  if (vector_search_enabled()) {
    for (; g + 8 <= n_groups; g += 8) {
      if (!fit_scale_and_min_x8_avx2(n, nmax, x + g * n, weights + g * n, L + g * n, scales + g,
                                     neg_mins + g, s))
        break;  // an empty group: this batch and the rest run below
    }
  }
  for (; g < n_groups; ++g) {
    scales[g] = fit_scale_and_min_impl(n, nmax, x + g * n, weights + g * n, L + g * n, &neg_mins[g],
                                       s.rmin, s.rdelta, s.nstep, s.use_mad, s.v3);
  }
}

void fit_symmetric_scale_groups(int n_groups, int n, int nmax, const float* x, const float* weights,
                                int8_t* L, float* scales) {
  assert(n <= kMaxFitGroup);
  int g = 0;
  if (vector_search_enabled()) {
    for (; g + 8 <= n_groups; g += 8) {
      if (!fit_symmetric_scale_x8_avx2(n, nmax, x + g * n, weights ? weights + g * n : nullptr,
                                       L + g * n, scales + g))
        break;  // an all-zero group: this batch and the rest run below
    }
  }
  for (; g < n_groups; ++g) {
    scales[g] =
        fit_symmetric_scale(n, nmax, x + g * n, L + g * n, 1, weights ? weights + g * n : nullptr);
  }
}

float fit_positive_scale(int n, int nmax, const float* x, uint8_t* L, const float* weights) {
  float max = 0;
  for (int i = 0; i < n; ++i) max = std::max(max, x[i]);
  if (max < kGroupMaxEps) {
    std::fill(L, L + n, uint8_t{0});
    return 0.f;
  }
  float iscale = nmax / max;
  float scale = 1 / iscale;
  float best_mse = 0;
  for (int i = 0; i < n; ++i) {
    const float diff = x[i] - scale * nearest_int(iscale * x[i]);
    best_mse += weights[i] * diff * diff;
  }
  for (int step = -4; step <= 4; ++step) {
    if (step == 0) continue;
    const float iscale_try = (0.1f * step + nmax) / max;
    const float scale_try = 1 / iscale_try;
    float mse = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::min(nmax, nearest_int(iscale_try * x[i]));
      const float diff = x[i] - scale_try * l;
      mse += weights[i] * diff * diff;
    }
    if (mse < best_mse) {
      best_mse = mse;
      iscale = iscale_try;
    }
  }
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = std::min(nmax, nearest_int(iscale * x[i]));
    L[i] = static_cast<uint8_t>(l);
    sumlx += weights[i] * x[i] * l;
    suml2 += weights[i] * l * l;
  }
  for (int pass = 0; pass < 5; ++pass) {
    int n_changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = weights[i];
      float slx = sumlx - w * x[i] * L[i];
      float sl2 = suml2 - w * L[i] * L[i];
      if (!(slx > 0 && sl2 > 0)) continue;
      const int new_l = std::min(nmax, nearest_int(x[i] * sl2 / slx));
      if (new_l == L[i]) continue;
      slx += w * x[i] * new_l;
      sl2 += w * new_l * new_l;
      if (slx * slx * suml2 > sumlx * sumlx * sl2) {
        L[i] = static_cast<uint8_t>(new_l);
        sumlx = slx;
        suml2 = sl2;
        ++n_changed;
      }
    }
    if (!n_changed) break;
  }
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

}  // namespace hearth::quant::detail
