// Every SIMD row dot product and activation quantizer against the scalar reference table.
#include "kernels/qdot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>
#include <vector>

#include "kernel_test_util.h"
#include "quant/blocks.h"
#include "quant/type_traits.h"

namespace hearth::kernels {
namespace {

using quant::GgmlType;
using testing::random_floats;
using testing::random_row;

const GgmlType kAllTypes[] = {GgmlType::kF32,    GgmlType::kF16,  GgmlType::kBF16,  GgmlType::kQ8_0,
                              GgmlType::kQ4_0,   GgmlType::kQ4_1, GgmlType::kQ5_0,  GgmlType::kQ5_1,
                              GgmlType::kIQ4_NL, GgmlType::kQ2_K, GgmlType::kQ3_K,  GgmlType::kQ4_K,
                              GgmlType::kQ5_K,   GgmlType::kQ6_K, GgmlType::kIQ4_XS};

// Activations of n values in `act` format, quantized by the scalar reference.
std::vector<uint8_t> scalar_activations(ActType act, const std::vector<float>& x) {
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<uint8_t> out(act_row_bytes(act, n));  // (act_row_bytes)
  if (act == ActType::kF32) {
    std::memcpy(out.data(), x.data(), out.size());
  } else {
    qdot_table_scalar().quantize[static_cast<int>(act)](x.data(), out.data(), n);
  }
  return out;
}

// Sum over blocks of |scalar dot of that block alone|: the scale of the rounding error.
double magnitude(GgmlType type, ActType act, int64_t n, const uint8_t* w, const uint8_t* xa) {
  const quant::TypeTraits& tt = quant::type_traits(type);
  const int64_t bs = std::max<int64_t>(tt.block_size, act_block_size(act));
  const size_t w_step = static_cast<size_t>(bs / tt.block_size) * tt.type_size;
  // bytes of the activation blocks covering bs values (a Q8_0 row also has block sums at its end)
  const size_t a_step = act == ActType::kQ8_0
                            ? static_cast<size_t>(bs / 32) * sizeof(quant::BlockQ8_0)
                            : act_row_bytes(act, bs);
  RowDotFn dot = qdot_table_scalar().dot[static_cast<int>(type)];
  double mag = 0;
  for (int64_t b = 0; b < n / bs; ++b) mag += std::fabs(dot(bs, w + b * w_step, xa + b * a_step));
  return mag;
}

TEST(Qdot, EverySimdDotMatchesScalar) {
  std::mt19937 rng(42);
  for (Isa isa : testing::simd_isas_to_test()) {
    const QdotTable& table = qdot_table(isa);
    for (GgmlType type : kAllTypes) {
      ActType act;
      ASSERT_TRUE(act_type_for(static_cast<uint32_t>(type), &act));
      const int64_t bs = quant::type_traits(type).block_size;
      for (int64_t n : {bs == 1 ? int64_t{37} : bs * 3, int64_t{1024}, int64_t{4096}}) {
        for (int rep = 0; rep < 4; ++rep) {
          const auto w = random_row(type, n, rng);
          const auto x = random_floats(n, rng);
          const auto xa = scalar_activations(act, x);
          const int t = static_cast<int>(type);
          const float expected = qdot_table_scalar().dot[t](n, w.data(), xa.data());
          const float got = table.dot[t](n, w.data(), xa.data());
          const double tol = 1e-5 * magnitude(type, act, n, w.data(), xa.data()) + 1e-6;
          EXPECT_NEAR(got, expected, tol)
              << isa_name(isa) << " " << quant::type_traits(type).name << " n=" << n;
        }
      }
    }
  }
}

TEST(Qdot, MultiTokenDotsMatchScalar) {
  std::mt19937 rng(43);
  int checked = 0;
  for (Isa isa : testing::simd_isas_to_test()) {
    const QdotTable& table = qdot_table(isa);
    for (GgmlType type : kAllTypes) {
      const int t = static_cast<int>(type);
      if (table.dot_n[t] == nullptr) continue;
      ActType act;
      ASSERT_TRUE(act_type_for(static_cast<uint32_t>(type), &act));
      const int64_t bs = quant::type_traits(type).block_size;
      for (int64_t n : {int64_t{2048}, bs == 32 ? int64_t{352} : int64_t{768}}) {  // + tail blocks
        const size_t stride = act_row_bytes(act, n);
        const auto w = random_row(type, n, rng);
        std::vector<uint8_t> xa;  // (kDotNTokens, stride)
        for (int k = 0; k < kDotNTokens; ++k) {
          const auto row = scalar_activations(act, random_floats(n, rng));
          xa.insert(xa.end(), row.begin(), row.end());
        }
        float got[kDotNTokens];
        table.dot_n[t](n, w.data(), xa.data(), stride, got);
        for (int k = 0; k < kDotNTokens; ++k) {
          const uint8_t* xk = xa.data() + k * stride;
          const float expected = qdot_table_scalar().dot[t](n, w.data(), xk);
          EXPECT_NEAR(got[k], expected, 1e-5 * magnitude(type, act, n, w.data(), xk) + 1e-6)
              << isa_name(isa) << " " << quant::type_traits(type).name << " token " << k
              << " n=" << n;
        }
      }
      ++checked;
    }
  }
  if (checked == 0) GTEST_SKIP() << "no SIMD ISA on this CPU";
}

TEST(Qdot, SimdQuantizersMatchScalar) {
  std::mt19937 rng(7);
  const int64_t n = 2048;
  for (Isa isa : testing::simd_isas_to_test()) {
    const QdotTable& table = qdot_table(isa);
    for (ActType act : {ActType::kQ8_0, ActType::kQ8_1, ActType::kQ8_K}) {
      auto x = random_floats(n, rng, 3.0f);
      for (int j = 0; j < 32; ++j) x[j] = 0.0f;  // an all-zero block
      const auto expected = scalar_activations(act, x);
      std::vector<uint8_t> got(expected.size());  // (act_row_bytes)
      table.quantize[static_cast<int>(act)](x.data(), got.data(), n);
      EXPECT_EQ(got, expected) << isa_name(isa) << " act=" << static_cast<int>(act);
    }
  }
}

TEST(Qdot, Q8KBlocksAreConsistent) {
  std::mt19937 rng(3);
  auto x = random_floats(256, rng);
  x[17] = -9.0f;  // the value of largest magnitude maps to -127 (so d > 0 here)
  quant::BlockQ8_K b;
  qdot_table_scalar().quantize[static_cast<int>(ActType::kQ8_K)](x.data(), &b, 256);
  EXPECT_EQ(b.qs[17], -127);
  EXPECT_GT(b.d, 0.0f);
  for (int g = 0; g < 16; ++g) {
    int s = 0;
    for (int j = 0; j < 16; ++j) s += b.qs[16 * g + j];
    EXPECT_EQ(b.bsums[g], s);
  }
  for (int j = 0; j < 256; ++j) EXPECT_NEAR(b.d * b.qs[j], x[j], std::fabs(b.d) * 0.5f + 1e-6f);
}

// When the quant library provides a reference vec_dot for a type, the kernels' scalar
// specification must agree with it on the same activation bytes.
TEST(Qdot, ScalarSpecAgreesWithQuantReference) {
  std::mt19937 rng(11);
  int checked = 0;
  for (GgmlType type : kAllTypes) {
    const quant::TypeTraits& tt = quant::type_traits(type);
    ActType act;
    ASSERT_TRUE(act_type_for(static_cast<uint32_t>(type), &act));
    if (tt.vec_dot == nullptr || act == ActType::kF32) continue;
    const int64_t n = 1024;
    const auto w = random_row(type, n, rng);
    const auto xa = scalar_activations(act, random_floats(n, rng));
    const float expected = tt.vec_dot(n, w.data(), xa.data());
    const float got = qdot_table_scalar().dot[static_cast<int>(type)](n, w.data(), xa.data());
    EXPECT_NEAR(got, expected, 1e-5 * magnitude(type, act, n, w.data(), xa.data()) + 1e-6)
        << tt.name;
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "quant references not available yet";
}

// The activation quantizers against the quant library's from_float of Q8_0 / Q8_1 / Q8_K
// (when available): same scales, int8 values equal up to round-half ties (|diff| <= 1).
TEST(Qdot, ActivationQuantizersAgreeWithQuantReference) {
  std::mt19937 rng(12);
  const int64_t n = 1024;
  int checked = 0;
  const std::pair<ActType, GgmlType> kinds[] = {{ActType::kQ8_0, GgmlType::kQ8_0},
                                                {ActType::kQ8_1, GgmlType::kQ8_1},
                                                {ActType::kQ8_K, GgmlType::kQ8_K}};
  for (auto [act, type] : kinds) {
    const quant::TypeTraits& tt = quant::type_traits(type);
    if (tt.from_float == nullptr || tt.to_float == nullptr) continue;
    const auto x = random_floats(n, rng);
    const auto mine = scalar_activations(act, x);
    std::vector<uint8_t> theirs(static_cast<size_t>(n / tt.block_size) * tt.type_size);
    tt.from_float(x.data(), theirs.data(), n, nullptr);
    std::vector<float> a(n), b(n);  // (n) dequantized
    tt.to_float(mine.data(), a.data(), n);
    tt.to_float(theirs.data(), b.data(), n);
    double max_scale = 0;
    for (float v : x) max_scale = std::max(max_scale, std::fabs(double(v)) / 127.0);
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_NEAR(a[i], b[i], 1.01 * max_scale) << tt.name << " i=" << i;
    }
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "quant references not available yet";
}

}  // namespace
}  // namespace hearth::kernels
