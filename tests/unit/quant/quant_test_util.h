// Helpers for the quant tests: quantize / dequantize whole rows through the TypeTraits table and
// measure errors.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "quant/type_traits.h"

namespace hearth::quant::testing {

inline std::vector<uint8_t> quantize_row(GgmlType type, const std::vector<float>& x,
                                         const float* importance = nullptr) {
  const TypeTraits& t = type_traits(type);
  std::vector<uint8_t> q(x.size() / t.block_size * t.type_size);
  t.from_float(x.data(), q.data(), static_cast<int64_t>(x.size()), importance);
  return q;
}

inline std::vector<float> dequantize_row(GgmlType type, const uint8_t* q, int64_t n) {
  std::vector<float> y(static_cast<size_t>(n));
  type_traits(type).to_float(q, y.data(), n);
  return y;
}

// sqrt(mean((a - b)^2)) / sqrt(mean(a^2)): the error relative to the signal.
inline double relative_rms_error(const float* a, const float* b, size_t n) {
  double err = 0, sig = 0;
  for (size_t i = 0; i < n; ++i) {
    err += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    sig += static_cast<double>(a[i]) * a[i];
  }
  return sig > 0 ? std::sqrt(err / sig) : std::sqrt(err / static_cast<double>(n));
}
inline double relative_rms_error(const std::vector<float>& a, const std::vector<float>& b) {
  return relative_rms_error(a.data(), b.data(), a.size());
}

inline std::vector<float> gaussian(size_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> x(n);
  for (auto& v : x) v = dist(rng);
  return x;
}

// Gaussian with about 1% of the values multiplied by 10-30 (the heavy tails of real weights).
inline std::vector<float> gaussian_with_outliers(size_t n, uint32_t seed) {
  std::vector<float> x = gaussian(n, seed);
  std::mt19937 rng(seed * 7 + 1);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (auto& v : x) {
    if (u(rng) < 0.01f) v *= 10.0f + 20.0f * u(rng);
  }
  return x;
}

inline double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}
inline double norm(const std::vector<float>& a) {
  return std::sqrt(dot(a, a));
}

}  // namespace hearth::quant::testing
