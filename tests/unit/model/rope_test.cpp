#include "kernels/rope.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace hearth::kernels {
namespace {

TEST(Rope, NormalRotatesAdjacentPairsNeoxHalves) {
  RopeParams p;
  p.n_dims = 4;
  p.freq_base = 100.0f;
  std::vector<float> cs(4);
  rope_angles(p, 3, cs.data());
  EXPECT_NEAR(cs[0], std::cos(3.0), 1e-6);
  EXPECT_NEAR(cs[3], std::sin(3.0 / 10.0), 1e-6);  // 100^(-2/4) = 0.1
  std::vector<float> x = {1, 0, 1, 0, 5};
  rope_apply(p, cs.data(), 1, 5, x.data());
  EXPECT_NEAR(x[0], std::cos(3.0), 1e-6);
  EXPECT_NEAR(x[1], std::sin(3.0), 1e-6);
  EXPECT_NEAR(x[3], std::sin(0.3), 1e-6);
  EXPECT_EQ(x[4], 5.0f);  // beyond n_dims: untouched
  p.neox = true;
  std::vector<float> y = {1, 1, 0, 0};
  rope_apply(p, cs.data(), 1, 4, y.data());
  EXPECT_NEAR(y[0], std::cos(3.0), 1e-6);
  EXPECT_NEAR(y[2], std::sin(3.0), 1e-6);
  EXPECT_NEAR(y[1], std::cos(0.3), 1e-6);
  EXPECT_NEAR(y[3], std::sin(0.3), 1e-6);
}

TEST(Rope, LinearScalingAndFreqFactorsSlowRotation) {
  RopeParams p;
  p.n_dims = 4;
  p.freq_base = 100.0f;
  p.freq_scale = 0.25f;
  float factors[2] = {1.0f, 8.0f};
  p.freq_factors = factors;
  std::vector<float> cs(4);
  rope_angles(p, 8, cs.data());
  EXPECT_NEAR(cs[1], std::sin(2.0), 1e-6);
  EXPECT_NEAR(cs[3], std::sin(8 * 0.1 / 8 * 0.25), 1e-6);
}

TEST(Rope, YarnInterpolatesLowFrequenciesAndScalesMagnitude) {
  RopeParams p;
  p.n_dims = 64;
  p.freq_base = 10000.0f;
  p.freq_scale = 0.25f;
  p.ext_factor = 1.0f;
  p.n_ctx_orig = 4096;
  std::vector<float> cs(64);
  rope_angles(p, 100, cs.data());
  const float mscale = 1.0f + 0.1f * std::log(4.0f);
  // The fastest pair (i0 = 0) extrapolates: angle = pos; the slowest interpolates: angle / 4.
  EXPECT_NEAR(cs[0], std::cos(100.0f) * mscale, 1e-4);
  const double slow = 100.0 * std::pow(10000.0, -62.0 / 64) * 0.25;
  EXPECT_NEAR(cs[63], std::sin(slow) * mscale, 1e-4);
  EXPECT_NEAR(cs[62] * cs[62] + cs[63] * cs[63], mscale * mscale, 1e-4);
}

}  // namespace
}  // namespace hearth::kernels
