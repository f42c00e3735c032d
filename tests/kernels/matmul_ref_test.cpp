#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/vec.h"
#include "quant/type_traits.h"

namespace hearth::kernels {
namespace {

TEST(MatmulF32, MatchesNaiveProduct) {
  ThreadPool pool(2);
  const int64_t rows = 37, cols = 64, n_tokens = 3;
  std::mt19937 rng(1);
  std::normal_distribution<float> dist;
  std::vector<float> w(rows * cols), x(n_tokens * cols), y(n_tokens * rows);
  for (auto& v : w) v = dist(rng);
  for (auto& v : x) v = dist(rng);
  Matrix m{static_cast<uint32_t>(quant::GgmlType::kF32),
           reinterpret_cast<const uint8_t*>(w.data()),
           rows,
           cols,
           cols * sizeof(float),
           nullptr};
  matmul(pool, m, x.data(), n_tokens, y.data());
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t r = 0; r < rows; ++r) {
      double expected = 0;
      for (int64_t c = 0; c < cols; ++c) expected += double(w[r * cols + c]) * x[t * cols + c];
      EXPECT_NEAR(y[t * rows + r], expected, 1e-4) << "t=" << t << " r=" << r;
    }
  }
}

TEST(Vec, RmsNormAndSoftmax) {
  std::vector<float> x = {1, 2, 3, 4}, y(4);
  rms_norm(x.data(), nullptr, 0.0f, 4, y.data());
  const float rms = std::sqrt((1 + 4 + 9 + 16) / 4.0f);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(y[i], x[i] / rms, 1e-6);
  softmax(x.data(), 4);
  float sum = 0;
  for (float v : x) sum += v;
  EXPECT_NEAR(sum, 1.0f, 1e-6);
  EXPECT_GT(x[3], x[2]);
}

TEST(Dispatch, IsaIsSupportedAndCanBeLowered) {
  Isa detected = detected_isa();
  EXPECT_LE(static_cast<int>(active_isa()), static_cast<int>(detected));
  EXPECT_EQ(set_active_isa(Isa::kScalar), Isa::kScalar);
  EXPECT_EQ(set_active_isa(Isa::kAvx512), detected);
}

}  // namespace
}  // namespace hearth::kernels
