// The vectorized scale/min search (fit_scale_and_min_groups, AVX2 lanes = groups) must give
// bit-identical results to the scalar search: same levels, same scales and mins, for both
// llama.cpp variants, squared and absolute error, and through whole rows of every type that uses
// it (with and without importance). Skips the comparison on CPUs without AVX2.
#include "quant/scale_search.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "quant_test_util.h"

namespace hearth::quant {
namespace {

using detail::AsymSearch;

class ScalarSearchOnly {  // forces the scalar search for its lifetime
 public:
  ScalarSearchOnly() : old_(detail::set_vector_search(false)) {}
  ~ScalarSearchOnly() { detail::set_vector_search(old_); }

 private:
  bool old_;
};

bool have_vector_search() {
  const bool old = detail::set_vector_search(true);
  const bool on = detail::vector_search_enabled();
  detail::set_vector_search(old);
  return on;
}

struct GroupResult {
  std::vector<uint8_t> L;               // (n_groups, n)
  std::vector<float> scales, neg_mins;  // (n_groups)
};

GroupResult run_groups(int n_groups, int n, int nmax, const std::vector<float>& x,
                       const std::vector<float>& w, const AsymSearch& s) {
  GroupResult r{std::vector<uint8_t>(x.size(), 0xAA), std::vector<float>(n_groups),
                std::vector<float>(n_groups)};
  detail::fit_scale_and_min_groups(n_groups, n, nmax, x.data(), w.data(), r.L.data(),
                                   r.scales.data(), r.neg_mins.data(), s);
  return r;
}

void expect_bit_identical(const GroupResult& a, const GroupResult& b) {
  ASSERT_EQ(a.L, b.L);
  for (size_t g = 0; g < a.scales.size(); ++g) {
    EXPECT_EQ(0, std::memcmp(&a.scales[g], &b.scales[g], sizeof(float))) << "group " << g;
    EXPECT_EQ(0, std::memcmp(&a.neg_mins[g], &b.neg_mins[g], sizeof(float))) << "group " << g;
  }
}

// Random groups with the shapes that occur in weights: gaussian, outliers, all-positive, a
// constant group, an all-zero group (the scalar fallback), values on exact rounding ties.
std::vector<float> test_values(int n_groups, int n, uint32_t seed) {
  std::vector<float> x = testing::gaussian_with_outliers(static_cast<size_t>(n_groups * n), seed);
  std::mt19937 rng(seed);
  for (int g = 0; g < n_groups; ++g) {
    float* xs = x.data() + g * n;
    switch (rng() % 8) {
      case 0:
        for (int i = 0; i < n; ++i) xs[i] = std::fabs(xs[i]) + 0.5f;
        break;
      case 1:
        for (int i = 0; i < n; ++i)
          xs[i] = static_cast<float>(static_cast<int>(rng() % 16)) * 0.25f;
        break;
      case 2:
        if (seed % 3 == 0)
          for (int i = 0; i < n; ++i) xs[i] = 0.0f;
        break;
      default:
        break;
    }
  }
  return x;
}

TEST(ScaleSearch, VectorGroupsEqualScalarBitForBit) {
  if (!have_vector_search()) GTEST_SKIP() << "this CPU has no AVX2: only the scalar search runs";
  const AsymSearch searches[] = {
      {-1.0f, 0.1f, 20, false, false},  // Q4_K reference
      {-0.5f, 0.1f, 15, true, false},   // Q2_K reference (absolute error)
      {-0.9f, 0.05f, 36, false, true},  // Q4_K / Q5_0 / Q5_1 with importance (v3)
      {-0.9f, 0.1f, 0, false, false},   // no search steps
  };
  for (int n : {16, 32}) {
    for (int nmax : {3, 15, 31}) {
      for (uint32_t seed = 1; seed <= 12; ++seed) {
        const int n_groups = 8 * static_cast<int>(seed % 3 + 1) + static_cast<int>(seed % 5);
        const std::vector<float> x = test_values(n_groups, n, seed);
        std::vector<float> w(x.size());
        for (size_t i = 0; i < x.size(); ++i) w[i] = 0.1f + std::fabs(x[i]) * (1 + i % 3);
        for (const AsymSearch& s : searches) {
          SCOPED_TRACE(::testing::Message() << "n=" << n << " nmax=" << nmax << " seed=" << seed
                                            << " nstep=" << s.nstep << " v3=" << s.v3);
          const GroupResult vec = run_groups(n_groups, n, nmax, x, w, s);
          ScalarSearchOnly scalar;
          expect_bit_identical(vec, run_groups(n_groups, n, nmax, x, w, s));
        }
      }
    }
  }
}

TEST(ScaleSearch, SymmetricVectorGroupsEqualScalarBitForBit) {
  if (!have_vector_search()) GTEST_SKIP() << "this CPU has no AVX2: only the scalar search runs";
  for (int nmax : {4, 8, 32}) {
    for (uint32_t seed = 1; seed <= 12; ++seed) {
      const int n = seed % 2 ? 16 : 32;
      const int n_groups = 8 * static_cast<int>(seed % 3 + 1) + static_cast<int>(seed % 5);
      const std::vector<float> x = test_values(n_groups, n, seed);
      std::vector<float> w(x.size());
      for (size_t i = 0; i < x.size(); ++i) w[i] = 0.1f + std::fabs(x[i]) * (1 + i % 3);
      for (const float* weights :
           {static_cast<const float*>(nullptr), static_cast<const float*>(w.data())}) {
        SCOPED_TRACE(::testing::Message() << "n=" << n << " nmax=" << nmax << " seed=" << seed
                                          << (weights ? " weighted" : ""));
        auto run = [&] {
          std::pair<std::vector<int8_t>, std::vector<float>> r{std::vector<int8_t>(x.size(), 0x55),
                                                               std::vector<float>(n_groups)};
          detail::fit_symmetric_scale_groups(n_groups, n, nmax, x.data(), weights, r.first.data(),
                                             r.second.data());
          return r;
        };
        const auto vec = run();
        ScalarSearchOnly scalar;
        const auto ref = run();
        ASSERT_EQ(vec.first, ref.first);
        EXPECT_EQ(0, std::memcmp(vec.second.data(), ref.second.data(), 4 * ref.second.size()));
      }
    }
  }
}

TEST(ScaleSearch, WholeRowsEqualScalarBitForBit) {
  if (!have_vector_search()) GTEST_SKIP() << "this CPU has no AVX2: only the scalar search runs";
  const std::vector<float> x = testing::gaussian_with_outliers(4 * 256, 5);
  std::vector<float> importance(x.size());
  std::mt19937 rng(9);
  for (float& v : importance) v = std::uniform_real_distribution<float>(0.01f, 4.0f)(rng);
  for (GgmlType t : {GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ2_K, GgmlType::kQ6_K}) {
    for (const float* imp :
         {static_cast<const float*>(nullptr), static_cast<const float*>(importance.data())}) {
      SCOPED_TRACE(::testing::Message()
                   << type_name(static_cast<uint32_t>(t)) << (imp ? " with importance" : ""));
      const std::vector<uint8_t> vec = testing::quantize_row(t, x, imp);
      ScalarSearchOnly scalar;
      EXPECT_EQ(vec, testing::quantize_row(t, x, imp));
    }
  }
}

TEST(ScaleSearch, ScalarCanBeForcedAndRestored) {
  const bool before = detail::vector_search_enabled();
  {
    ScalarSearchOnly scalar;
    EXPECT_FALSE(detail::vector_search_enabled());
  }
  EXPECT_EQ(detail::vector_search_enabled(), before);
}

}  // namespace
}  // namespace hearth::quant
