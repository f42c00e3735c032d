// kernels::matmul on every ISA against the scalar path, for every handled weight type.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/kernels.h"
#include "kernels/qdot.h"
#include "kernels/repack.h"
#include "quant/type_traits.h"

namespace hearth::kernels {
namespace {

using quant::GgmlType;

TEST(Matmul, EveryIsaMatchesScalarPath) {
  testing::IsaGuard guard;
  ThreadPool pool(2);
  std::mt19937 rng(5);
  const int64_t rows = 37, cols = 512;  // rows not a multiple of the 16-row chunks
  for (GgmlType type :
       {GgmlType::kF16, GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_1, GgmlType::kQ5_0,
        GgmlType::kQ4_K, GgmlType::kQ6_K, GgmlType::kQ3_K, GgmlType::kIQ4_XS}) {
    std::vector<uint8_t> w;  // (rows, row_bytes)
    for (int64_t r = 0; r < rows; ++r) {
      const auto row = testing::random_row(type, cols, rng);
      w.insert(w.end(), row.begin(), row.end());
    }
    Matrix m{static_cast<uint32_t>(type), w.data(), rows, cols, w.size() / rows, nullptr};
    for (int64_t n_tokens : {1, 3, 40}) {
      const auto x = testing::random_floats(n_tokens * cols, rng);         // (n_tokens, cols)
      std::vector<float> expected(n_tokens * rows), got(n_tokens * rows);  // (n_tokens, rows)
      set_active_isa(Isa::kScalar);
      matmul(pool, m, x.data(), n_tokens, expected.data());
      for (Isa isa : testing::simd_isas_to_test()) {
        set_active_isa(isa);
        std::fill(got.begin(), got.end(), NAN);
        matmul(pool, m, x.data(), n_tokens, got.data());
        double max_abs = 0;
        for (float v : expected) max_abs = std::max(max_abs, std::fabs(double(v)));
        for (size_t i = 0; i < got.size(); ++i) {
          ASSERT_NEAR(got[i], expected[i], 1e-4 * max_abs + 1e-6)
              << isa_name(isa) << " " << quant::type_traits(type).name << " n_tokens=" << n_tokens
              << " i=" << i;
        }
      }
    }
  }
}

Matrix random_matrix(GgmlType type, int64_t rows, int64_t cols, std::mt19937& rng,
                     std::vector<uint8_t>& storage) {
  storage.clear();  // (rows, row_bytes)
  for (int64_t r = 0; r < rows; ++r) {
    const auto row = testing::random_row(type, cols, rng);
    storage.insert(storage.end(), row.begin(), row.end());
  }
  return Matrix{static_cast<uint32_t>(type), storage.data(), rows, cols,
                storage.size() / rows,       nullptr};
}

// matmul_multi (one activation conversion, one parallel region for all matrices) gives exactly
// what one matmul per matrix gives: shared activation formats (Q4_K + Q6_K: Q8_K), mixed ones
// (Q4_0: Q8_0 next to Q4_K: Q8_K, done one by one) and a float type.
TEST(Matmul, MultiMatchesOneByOne) {
  testing::IsaGuard guard;
  ThreadPool pool(2);
  std::mt19937 rng(8);
  const int64_t cols = 512;
  const std::vector<std::vector<GgmlType>> groups = {
      {GgmlType::kQ4_K, GgmlType::kQ4_K, GgmlType::kQ6_K},
      {GgmlType::kQ4_0, GgmlType::kQ4_K},
      {GgmlType::kQ8_0, GgmlType::kQ8_0},
      {GgmlType::kF16}};
  std::vector<Isa> isas = testing::simd_isas_to_test();
  isas.push_back(Isa::kScalar);
  for (const auto& types : groups) {
    std::vector<std::vector<uint8_t>> storage(types.size());
    std::vector<Matrix> mats;
    for (size_t i = 0; i < types.size(); ++i)  // 37, 70, 103 rows: ragged chunk tails
      mats.push_back(
          random_matrix(types[i], 37 + 33 * static_cast<int64_t>(i), cols, rng, storage[i]));
    for (int64_t n_tokens : {1, 5}) {
      const auto x = testing::random_floats(n_tokens * cols, rng);  // (n_tokens, cols)
      for (Isa isa : isas) {
        set_active_isa(isa);
        std::vector<std::vector<float>> want(mats.size()), got(mats.size());
        std::vector<const Matrix*> ws;
        std::vector<float*> ys;
        for (size_t i = 0; i < mats.size(); ++i) {
          want[i].resize(n_tokens * mats[i].rows);  // (n_tokens, rows_i)
          got[i].assign(n_tokens * mats[i].rows, NAN);
          matmul(pool, mats[i], x.data(), n_tokens, want[i].data());
          ws.push_back(&mats[i]);
          ys.push_back(got[i].data());
        }
        matmul_multi(pool, static_cast<int>(mats.size()), ws.data(), x.data(), n_tokens, ys.data());
        for (size_t i = 0; i < mats.size(); ++i)
          EXPECT_EQ(got[i], want[i]) << isa_name(isa) << " matrix " << i << " n=" << n_tokens;
      }
    }
  }
}

// A token's row of y must not depend on the other tokens of its matmul call (seeded sampling
// gives the same text alone and inside a busy batch only then): every token of an n-token call
// equals, bit for bit, the same token computed alone, on every ISA, in the GGUF-row layout
// (groups of kDotNTokens plus single tails) and in the repacked one (tiles of 8, 4, 2, 1).
TEST(Matmul, TokenRowsDoNotDependOnTheirBatch) {
  testing::IsaGuard guard;
  ThreadPool pool(2);
  std::mt19937 rng(12);
  const int64_t rows = 40, cols = 512;
  std::vector<Isa> isas = testing::simd_isas_to_test();
  isas.push_back(Isa::kScalar);
  int repacked_checked = 0;
  for (GgmlType type :
       {GgmlType::kF16, GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ5_0, GgmlType::kIQ4_NL,
        GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K, GgmlType::kQ3_K}) {
    std::vector<uint8_t> storage;
    Matrix plain = random_matrix(type, rows, cols, rng, storage);
    Matrix packed = plain;
    packed.repacked = repack_matrix(plain);
    repacked_checked += packed.repacked != nullptr;
    const int64_t n_tokens = 15;  // 8 + 4 + 2 + 1 repacked tiles; 3 groups of 4 + 3 singles
    const auto x = testing::random_floats(n_tokens * cols, rng);  // (n_tokens, cols)
    for (const Matrix* m : {&plain, &packed}) {
      if (m == &packed && packed.repacked == nullptr) continue;
      for (Isa isa : isas) {
        set_active_isa(isa);
        std::vector<float> batch(n_tokens * rows, NAN), alone(rows, NAN);  // (n_tokens, rows)
        matmul(pool, *m, x.data(), n_tokens, batch.data());
        for (int64_t t = 0; t < n_tokens; ++t) {
          matmul(pool, *m, x.data() + t * cols, 1, alone.data());
          const std::vector<float> row(batch.begin() + t * rows, batch.begin() + (t + 1) * rows);
          ASSERT_EQ(row, alone) << isa_name(isa) << " " << quant::type_traits(type).name
                                << (m == &packed ? " repacked" : " GGUF rows") << " token " << t;
        }
      }
    }
  }
  EXPECT_EQ(repacked_checked, 4);  // Q8_0, Q4_0, Q4_K, Q6_K have a repacked layout
}

}  // namespace
}  // namespace hearth::kernels
