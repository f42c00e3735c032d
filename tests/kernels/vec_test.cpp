// kernels/vec.h on every SIMD ISA against the scalar reference (kernels/ref/vec_ref.h).
#include "kernels/vec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/ref/vec_ref.h"

namespace hearth::kernels {
namespace {

using testing::random_floats;

const int64_t kSizes[] = {1, 7, 8, 37, 256, 1000};

std::vector<fp16_t> to_f16(const std::vector<float>& v) {
  std::vector<fp16_t> h(v.size());
  for (size_t i = 0; i < v.size(); ++i) h[i] = float_to_fp16(v[i]);
  return h;
}

void expect_rel_near(const std::vector<float>& got, const std::vector<float>& want, double rel,
                     const char* what, Isa isa) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], rel * std::fabs(want[i]) + 1e-30)
        << what << " " << isa_name(isa) << " i=" << i << " n=" << got.size();
  }
}

TEST(VecSimd, ElementwiseMatchReference) {
  testing::IsaGuard guard;
  std::mt19937 rng(9);
  for (Isa isa : testing::simd_isas_to_test()) {
    set_active_isa(isa);
    for (int64_t n : kSizes) {
      const auto x = random_floats(n, rng, 4.0f), w = random_floats(n, rng);
      const auto up = random_floats(n, rng);
      std::vector<float> got(n), want(n);  // (n)
      rms_norm(x.data(), w.data(), 1e-5f, n, got.data());
      ref::rms_norm(x.data(), w.data(), 1e-5f, n, want.data());
      expect_rel_near(got, want, 1e-5, "rms_norm", isa);
      rms_norm(x.data(), nullptr, 1e-5f, n, got.data());
      ref::rms_norm(x.data(), nullptr, 1e-5f, n, want.data());
      expect_rel_near(got, want, 1e-5, "rms_norm(no weight)", isa);

      auto big = random_floats(n, rng, 30.0f);  // gates up to ~+-100: exp clamping paths
      silu_mul(big.data(), up.data(), n, got.data());
      ref::silu_mul(big.data(), up.data(), n, want.data());
      expect_rel_near(got, want, 1e-5, "silu_mul", isa);

      got = big;
      want = big;
      softmax(got.data(), n);
      ref::softmax(want.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_NEAR(got[i], want[i], 1e-5 * want[i] + 1e-37) << "softmax " << isa_name(isa);
      }

      got = x;
      want = x;
      add_inplace(got.data(), w.data(), n);
      ref::add_inplace(want.data(), w.data(), n);
      expect_rel_near(got, want, 0, "add_inplace", isa);

      const auto h = to_f16(w);
      got = x;
      want = x;
      axpy_f16(0.75f, h.data(), n, got.data());
      ref::axpy_f16(0.75f, h.data(), n, want.data());
      for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(got[i], want[i], 1e-5 * (std::fabs(x[i]) + 1));

      std::vector<fp16_t> hg(n), hw(n);  // (n)
      f32_to_f16_row(x.data(), n, hg.data());
      ref::f32_to_f16_row(x.data(), n, hw.data());
      EXPECT_EQ(hg, hw) << "f32_to_f16_row " << isa_name(isa);
    }
  }
}

TEST(VecSimd, DotsMatchReference) {
  testing::IsaGuard guard;
  std::mt19937 rng(10);
  for (Isa isa : testing::simd_isas_to_test()) {
    set_active_isa(isa);
    for (int64_t n : kSizes) {
      const auto a = random_floats(n, rng), b = random_floats(n, rng);
      const auto h = to_f16(b);
      double mag = 0, mag_h = 0;
      for (int64_t i = 0; i < n; ++i) {
        mag += std::fabs(a[i] * b[i]);
        mag_h += std::fabs(a[i] * fp16_to_float(h[i]));
      }
      EXPECT_NEAR(dot_f32(a.data(), b.data(), n), ref::dot_f32(a.data(), b.data(), n),
                  1e-6 * mag + 1e-7);
      EXPECT_NEAR(dot_f32_f16(a.data(), h.data(), n), ref::dot_f32_f16(a.data(), h.data(), n),
                  1e-6 * mag_h + 1e-7);
    }
  }
}

// argmax: the first maximum, NaN never chosen; ties and special values at every lane position.
TEST(VecSimd, ArgmaxFirstMaximum) {
  testing::IsaGuard guard;
  std::mt19937 rng(11);
  const float nan = std::nanf(""), inf = INFINITY;
  for (Isa isa : testing::simd_isas_to_test()) {
    set_active_isa(isa);
    for (int64_t n : {1, 7, 8, 37, 256, 1000, 32000}) {
      auto x = random_floats(n, rng, 4.0f);
      EXPECT_EQ(argmax(x.data(), n), ref::argmax(x.data(), n)) << isa_name(isa) << " n=" << n;
      // a tie: the same maximum at two positions, the lower one wins
      const int64_t a = static_cast<int64_t>(rng() % n), b = static_cast<int64_t>(rng() % n);
      x[a] = x[b] = 100.0f;
      EXPECT_EQ(argmax(x.data(), n), std::min(a, b)) << isa_name(isa) << " n=" << n;
      x[a] = nan;  // NaN never wins
      EXPECT_EQ(argmax(x.data(), n), a == b ? ref::argmax(x.data(), n) : b) << isa_name(isa);
      EXPECT_EQ(argmax(x.data(), n), ref::argmax(x.data(), n)) << isa_name(isa);
      std::vector<float> all(n, -inf);  // (n) nothing allowed: the first position
      EXPECT_EQ(argmax(all.data(), n), 0);
      all[n - 1] = -1e30f;
      EXPECT_EQ(argmax(all.data(), n), n - 1);
      std::vector<float> nans(n, nan);  // (n)
      EXPECT_EQ(argmax(nans.data(), n), 0);
      EXPECT_EQ(ref::argmax(nans.data(), n), 0);
    }
  }
}

}  // namespace
}  // namespace hearth::kernels
