// from_float -> to_float on random data stays within a per-type error bound, and the reference
// vec_dot agrees with the float dot product of the dequantized operands.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "quant/blocks.h"
#include "quant_test_util.h"

namespace hearth::quant {
namespace {

using namespace hearth::quant::testing;

// Relative RMS error bounds (error RMS / signal RMS). Gaussian data: what each bit width allows
// with some margin over the measured value (see the comments); outlier data is harder for the
// block-scaled types because one large value coarsens its whole block.
struct Bound {
  GgmlType type;
  double gaussian;  // N(0,1) values
  double outliers;  // N(0,1) with 1% of values x10..x30
};
constexpr Bound kBounds[] = {
    {GgmlType::kF16, 0.0005, 0.0005},
    {GgmlType::kBF16, 0.004, 0.004},
    {GgmlType::kQ8_0, 0.0065, 0.014} /* measured 0.0054, 0.0113 */,
    {GgmlType::kQ8_1, 0.0065, 0.014},
    {GgmlType::kQ8_K, 0.0085, 0.035} /* 0.0068, 0.0270: one scale per 256 */,
    {GgmlType::kQ6_K, 0.022, 0.040} /* 0.0176, 0.0323 */,
    {GgmlType::kQ5_0, 0.050, 0.100} /* 0.0426, 0.0846 */,
    {GgmlType::kQ5_1, 0.045, 0.080},
    {GgmlType::kQ5_K, 0.042, 0.065} /* 0.0361, 0.0505 */,
    {GgmlType::kQ4_0, 0.110, 0.160},
    {GgmlType::kQ4_1, 0.095, 0.160},
    {GgmlType::kQ4_K, 0.085, 0.120} /* 0.0712, 0.0964 */,
    {GgmlType::kIQ4_NL, 0.095, 0.150},
    {GgmlType::kIQ4_XS, 0.095, 0.150},
    {GgmlType::kQ3_K, 0.180, 0.200} /* 0.1511, 0.1490 */,
    {GgmlType::kQ2_K, 0.350, 0.330} /* 0.2966, 0.2608 */,
};

class RoundTrip : public ::testing::TestWithParam<Bound> {};

TEST_P(RoundTrip, GaussianWithinBound) {
  const Bound b = GetParam();
  const std::vector<float> x = gaussian(256 * 64, 42);
  const auto q = quantize_row(b.type, x);
  const auto y = dequantize_row(b.type, q.data(), static_cast<int64_t>(x.size()));
  const double err = relative_rms_error(x, y);
  std::printf("  %-7s gaussian rel rms %.5f (bound %.3f)\n",
              type_name(static_cast<uint32_t>(b.type)), err, b.gaussian);
  EXPECT_LT(err, b.gaussian);
  EXPECT_GT(err, 0.0) << "a lossy type reproduced random data exactly";
}

TEST_P(RoundTrip, OutliersWithinBound) {
  const Bound b = GetParam();
  const std::vector<float> x = gaussian_with_outliers(256 * 64, 7);
  const auto q = quantize_row(b.type, x);
  const auto y = dequantize_row(b.type, q.data(), static_cast<int64_t>(x.size()));
  const double err = relative_rms_error(x, y);
  std::printf("  %-7s outliers rel rms %.5f (bound %.3f)\n",
              type_name(static_cast<uint32_t>(b.type)), err, b.outliers);
  EXPECT_LT(err, b.outliers);
}

TEST_P(RoundTrip, ImportanceIsUsedAndHelpsWeightedError) {
  const Bound b = GetParam();
  const std::vector<float> x = gaussian(256 * 16, 3);
  // Importance concentrated on a few columns: the weighted error must not get worse.
  std::vector<float> importance(x.size());
  for (size_t i = 0; i < x.size(); ++i) importance[i] = (i % 7 == 0) ? 50.0f : 1.0f;
  const auto q_plain = quantize_row(b.type, x);
  const auto q_imp = quantize_row(b.type, x, importance.data());
  const auto y_plain = dequantize_row(b.type, q_plain.data(), static_cast<int64_t>(x.size()));
  const auto y_imp = dequantize_row(b.type, q_imp.data(), static_cast<int64_t>(x.size()));
  double e_plain = 0, e_imp = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    e_plain += importance[i] * (x[i] - y_plain[i]) * (x[i] - y_plain[i]);
    e_imp += importance[i] * (x[i] - y_imp[i]) * (x[i] - y_imp[i]);
  }
  EXPECT_LT(relative_rms_error(x, y_imp), b.gaussian * 1.3);
  EXPECT_LE(e_imp, e_plain * 1.02)
      << "importance-weighted quantization increased the weighted error";
}

TEST_P(RoundTrip, ZerosStayZero) {
  const Bound b = GetParam();
  const std::vector<float> x(512, 0.0f);
  const auto q = quantize_row(b.type, x);
  for (float v : dequantize_row(b.type, q.data(), 512)) EXPECT_EQ(v, 0.0f);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, RoundTrip, ::testing::ValuesIn(kBounds),
                         [](const ::testing::TestParamInfo<Bound>& info) {
                           return std::string(type_name(static_cast<uint32_t>(info.param.type)));
                         });

// ---- vec_dot

class VecDot : public ::testing::TestWithParam<GgmlType> {};

TEST_P(VecDot, MatchesFloatDotOfDequantizedOperands) {
  const GgmlType type = GetParam();
  const TypeTraits& t = type_traits(type);
  ASSERT_NE(t.vec_dot, nullptr);
  const int64_t n = 256 * 8;
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    const std::vector<float> x = gaussian(n, seed), y = gaussian(n, seed + 100);
    const auto xq = quantize_row(type, x);
    const auto yq = quantize_row(t.vec_dot_type, y);
    const auto xd = dequantize_row(type, xq.data(), n);
    const auto yd = dequantize_row(t.vec_dot_type, yq.data(), n);
    const double got = t.vec_dot(n, xq.data(), yq.data());
    const double scale = norm(xd) * norm(y);
    // Exact operands: only float rounding of the per-block sums.
    EXPECT_NEAR(got, dot(xd, yd), 2e-5 * scale) << "seed " << seed;
    // Against unquantized y: the activation quantization error (8-bit) is all that remains.
    EXPECT_NEAR(got, dot(xd, y), 1e-2 * scale) << "seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, VecDot,
                         ::testing::Values(GgmlType::kQ4_0, GgmlType::kQ4_1, GgmlType::kQ5_0,
                                           GgmlType::kQ5_1, GgmlType::kQ8_0, GgmlType::kQ2_K,
                                           GgmlType::kQ3_K, GgmlType::kQ4_K, GgmlType::kQ5_K,
                                           GgmlType::kQ6_K, GgmlType::kIQ4_NL, GgmlType::kIQ4_XS,
                                           GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16),
                         [](const ::testing::TestParamInfo<GgmlType>& info) {
                           return std::string(type_name(static_cast<uint32_t>(info.param)));
                         });

TEST(Q8K, BsumsAreSumsOfSixteen) {
  const std::vector<float> x = gaussian(512, 9);
  const auto q = quantize_row(GgmlType::kQ8_K, x);
  const auto* blocks = reinterpret_cast<const BlockQ8_K*>(q.data());
  for (int b = 0; b < 2; ++b) {
    for (int j = 0; j < 16; ++j) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += blocks[b].qs[16 * j + l];
      EXPECT_EQ(blocks[b].bsums[j], sum);
    }
  }
}

}  // namespace
}  // namespace hearth::quant
