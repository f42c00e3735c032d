// Repacked GEMM (kernels/repack.h): the scalar kernels over the repacked layout against the
// GGUF-row matmul, then every SIMD ISA against the scalar repacked path, for every repacked type,
// odd token counts and row counts that are not a multiple of the 16-row interleave.
#include "kernels/repack.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <vector>

#include "core/fp16.h"
#include "kernel_test_util.h"
#include "kernels/kernels.h"
#include "quant/blocks.h"
#include "quant/kquant_scales.h"
#include "quant/type_traits.h"

namespace hearth::kernels {
namespace {

using quant::GgmlType;

bool sanitized() {
  return std::getenv("HEARTH_SANITIZED") != nullptr;
}

struct TestMatrix {
  std::vector<uint8_t> bytes;  // (rows, row_bytes)
  Matrix m;
};

TestMatrix random_matrix(GgmlType type, int64_t rows, int64_t cols, std::mt19937& rng) {
  TestMatrix tm;
  for (int64_t r = 0; r < rows; ++r) {
    const auto row = testing::random_row(type, cols, rng);
    tm.bytes.insert(tm.bytes.end(), row.begin(), row.end());
  }
  tm.m = Matrix{static_cast<uint32_t>(type),
                tm.bytes.data(),
                rows,
                cols,
                tm.bytes.size() / static_cast<size_t>(rows),
                nullptr};
  return tm;
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, std::fabs(static_cast<double>(x)));
  return m;
}

void expect_close(const std::vector<float>& got, const std::vector<float>& want, double tol,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], tol) << what << " i=" << i;
}

TEST(Repack, EveryTypeIsaAndShapeMatchesGgufRowMatmul) {
  testing::IsaGuard guard;
  ThreadPool pool(2);
  std::mt19937 rng(11);
  const int64_t cols = 512;
  std::vector<int64_t> token_counts = {1, 3, 7, 64, 129};
  if (sanitized()) token_counts = {1, 3, 7, 17};
  for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    for (int64_t rows : {16, 37}) {  // 37: the last row group is padded
      const TestMatrix tm = random_matrix(type, rows, cols, rng);
      Matrix packed = tm.m;
      packed.repacked = repack_matrix(tm.m);
      ASSERT_NE(packed.repacked, nullptr) << quant::type_traits(type).name;
      for (int64_t n_tokens : token_counts) {
        const std::string what = std::string(quant::type_traits(type).name) +
                                 " rows=" + std::to_string(rows) +
                                 " n_tokens=" + std::to_string(n_tokens);
        const auto x = testing::random_floats(n_tokens * cols, rng);     // (n_tokens, cols)
        std::vector<float> want(n_tokens * rows), ref(n_tokens * rows);  // (n_tokens, rows)
        set_active_isa(Isa::kScalar);
        matmul(pool, tm.m, x.data(), n_tokens, want.data());
        matmul(pool, packed, x.data(), n_tokens, ref.data());
        // same quantized activations, same integer sums: only f32 rounding order differs
        const double tol = 1e-5 * max_abs(want) + 1e-6;
        expect_close(ref, want, tol, "scalar repacked vs GGUF rows, " + what);
        for (Isa isa : testing::simd_isas_to_test()) {
          set_active_isa(isa);
          std::vector<float> got(n_tokens * rows, NAN);
          matmul(pool, packed, x.data(), n_tokens, got.data());
          // the SIMD activation quantizer may round a value differently: 1e-4 relative
          expect_close(got, ref, 1e-4 * max_abs(ref) + 1e-6,
                       std::string(isa_name(isa)) + " vs scalar repacked, " + what);
        }
      }
    }
  }
}

// ggml's rounding order for Q4_K (ggml_gemm_q4_K_8x8_q8_K), computed from the GGUF rows: per
// super-block and pair of sub-blocks (64 values), the integer scale part and min part folded into
// two f32 sums with one fma each (d_w * d_x and dmin_w * d_x rounded first), subtracted at the end.
// `a` holds the int8 activations of one token, `dx` their Q8_K scale. llama.cpp's logits on
// Q4_K_M files depend on this order down to the last bit (golden_logits_test.cpp).
float ggml_order_q4_k(const quant::BlockQ4_K* w, int64_t blocks, const int8_t* a, float dx) {
  float acc = 0, acc_min = 0;
  for (int64_t b = 0; b < blocks; ++b) {
    const float dd = fp16_to_float(w[b].d) * dx, dmd = fp16_to_float(w[b].dmin) * dx;
    for (int pair = 0; pair < 4; ++pair) {
      int32_t isum = 0, msum = 0;
      for (int j = 2 * pair; j < 2 * pair + 2; ++j) {
        uint8_t sc, m;
        quant::detail::get_scale_min_k4(j, w[b].scales, &sc, &m);
        int32_t dot = 0, sum = 0;
        for (int k = 0; k < 32; ++k) {
          const int8_t x = a[256 * b + 32 * j + k];
          dot += ((w[b].qs[32 * pair + k] >> (4 * (j % 2))) & 0xF) * x;
          sum += x;
        }
        isum += sc * dot;
        msum += m * sum;
      }
      acc = std::fma(static_cast<float>(isum), dd, acc);
      acc_min = std::fma(static_cast<float>(msum), dmd, acc_min);
    }
  }
  return acc - acc_min;
}

// Bit-exact, not within a tolerance: activations are multiples of a power of two that every
// ISA's Q8_K quantizer maps to the same integers, so only the f32 order can differ.
TEST(Repack, Q4KFollowsGgmlRoundingOrderExactly) {
  testing::IsaGuard guard;
  ThreadPool pool(2);
  std::mt19937 rng(5);
  const int64_t cols = 768, blocks = cols / 256;
  for (int64_t rows : {16, 37}) {
    const TestMatrix tm = random_matrix(GgmlType::kQ4_K, rows, cols, rng);
    Matrix packed = tm.m;
    packed.repacked = repack_matrix(tm.m);
    ASSERT_NE(packed.repacked, nullptr);
    for (int64_t n_tokens : {1, 3, 8, 13}) {
      std::uniform_int_distribution<int> level(-127, 127);
      std::vector<int8_t> q(n_tokens * cols);  // (n_tokens, cols) activations' int8 levels
      std::vector<float> x(n_tokens * cols);   // (n_tokens, cols) = level * 2^-7
      std::vector<float> dx(n_tokens);         // (n_tokens) Q8_K scale of each block
      for (int64_t t = 0; t < n_tokens; ++t) {
        for (int64_t i = 0; i < cols; ++i) q[t * cols + i] = static_cast<int8_t>(level(rng));
        for (int64_t b = 0; b < blocks; ++b) q[t * cols + 256 * b + 7] = 127;  // block max
        for (int64_t i = 0; i < cols; ++i) x[t * cols + i] = q[t * cols + i] / 128.0f;
      }
      // Q8_K stores -round(127 * x / max) with d = 1 / (-127 / max): the levels negated
      const float iscale = -127.0f / (127 / 128.0f), d = 1.0f / iscale;
      std::vector<int8_t> a(q.size());
      for (size_t i = 0; i < q.size(); ++i) a[i] = static_cast<int8_t>(-q[i]);
      std::vector<float> want(n_tokens * rows);  // (n_tokens, rows)
      for (int64_t t = 0; t < n_tokens; ++t) {
        for (int64_t r = 0; r < rows; ++r) {
          const auto* w =
              reinterpret_cast<const quant::BlockQ4_K*>(tm.bytes.data() + r * tm.m.row_bytes);
          want[t * rows + r] = ggml_order_q4_k(w, blocks, a.data() + t * cols, d);
        }
      }
      std::vector<Isa> isas = testing::simd_isas_to_test();
      isas.insert(isas.begin(), Isa::kScalar);
      for (Isa isa : isas) {
        set_active_isa(isa);
        std::vector<float> got(n_tokens * rows, NAN);
        matmul(pool, packed, x.data(), n_tokens, got.data());
        for (size_t i = 0; i < got.size(); ++i) {
          ASSERT_EQ(got[i], want[i])
              << isa_name(isa) << " rows=" << rows << " n_tokens=" << n_tokens << " i=" << i;
        }
      }
    }
  }
}

// q/k/v-like triples (different row counts, one activation format; Q4_K next to Q6_K as in
// Q4_K_M files) through matmul_multi's fused repacked path, which must give each matrix's own
// matmul result; a mixed-format set (Q8_0 activations next to Q8_K) takes the one-by-one path.
TEST(Repack, FusedMultiMatchesOneMatmulPerMatrix) {
  testing::IsaGuard guard;
  ThreadPool pool(2);
  std::mt19937 rng(12);
  const int64_t cols = 512;
  const std::vector<std::vector<GgmlType>> sets = {
      {GgmlType::kQ4_K, GgmlType::kQ6_K, GgmlType::kQ4_K},
      {GgmlType::kQ4_0, GgmlType::kQ8_0},
      {GgmlType::kQ4_0, GgmlType::kQ4_K}};
  const std::vector<int64_t> rows = {48, 37, 16};
  for (const auto& types : sets) {
    std::vector<TestMatrix> tms;
    std::vector<Matrix> packed;
    for (size_t i = 0; i < types.size(); ++i) {
      tms.push_back(random_matrix(types[i], rows[i], cols, rng));
      packed.push_back(tms.back().m);
      packed.back().repacked = repack_matrix(tms.back().m);
      ASSERT_NE(packed.back().repacked, nullptr);
    }
    std::vector<const Matrix*> ws;
    for (const Matrix& m : packed) ws.push_back(&m);
    const bool same_format = types[0] != GgmlType::kQ4_0 || types[1] != GgmlType::kQ4_K;
    EXPECT_EQ(repacked_multi_compatible(static_cast<int>(ws.size()), ws.data()), same_format);
    std::vector<Isa> isas = testing::simd_isas_to_test();
    isas.insert(isas.begin(), Isa::kScalar);
    for (Isa isa : isas) {
      set_active_isa(isa);
      for (int64_t n_tokens : {1, 5, 19}) {
        const auto x = testing::random_floats(n_tokens * cols, rng);      // (n_tokens, cols)
        std::vector<std::vector<float>> got(ws.size()), want(ws.size());  // (n_tokens, rows[i])
        std::vector<float*> ys;
        for (size_t i = 0; i < ws.size(); ++i) {
          got[i].assign(n_tokens * rows[i], NAN);
          want[i].assign(n_tokens * rows[i], NAN);
          matmul(pool, *ws[i], x.data(), n_tokens, want[i].data());
          ys.push_back(got[i].data());
        }
        matmul_multi(pool, static_cast<int>(ws.size()), ws.data(), x.data(), n_tokens, ys.data());
        for (size_t i = 0; i < ws.size(); ++i) {
          // same quantized activations and integer sums (a one-token kernel may order the
          // f32 additions differently)
          expect_close(got[i], want[i], 1e-5 * max_abs(want[i]) + 1e-6,
                       std::string(isa_name(isa)) + " matrix " + std::to_string(i) +
                           " n_tokens=" + std::to_string(n_tokens));
        }
      }
    }
  }
}

TEST(Repack, UnsupportedTypesAndShapesAreNotRepacked) {
  std::mt19937 rng(3);
  const TestMatrix f16 = random_matrix(GgmlType::kF16, 16, 64, rng);
  EXPECT_EQ(repack_matrix(f16.m), nullptr);
  const TestMatrix q5 = random_matrix(GgmlType::kQ5_K, 16, 256, rng);
  EXPECT_EQ(repack_matrix(q5.m), nullptr);
  EXPECT_FALSE(repack_supported(static_cast<uint32_t>(GgmlType::kIQ4_XS)));
  EXPECT_TRUE(repack_supported(static_cast<uint32_t>(GgmlType::kQ4_K)));
  Matrix empty;
  empty.type = static_cast<uint32_t>(GgmlType::kQ4_0);
  EXPECT_EQ(repack_matrix(empty), nullptr);
}

TEST(Repack, LayoutSizesMatchTheDocumentedBlocks) {
  std::mt19937 rng(4);
  const TestMatrix q4k = random_matrix(GgmlType::kQ4_K, 33, 512, rng);
  const auto p = repack_matrix(q4k.m);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->n_groups, 3);
  EXPECT_EQ(p->blocks, 2);
  EXPECT_EQ(p->block_bytes, 2368u);
  EXPECT_EQ(p->data.size(), 3u * 2 * 2368);
}

TEST(Repack, EnvironmentSwitch) {
  const char* saved = std::getenv("HEARTH_REPACK");
  const std::string keep = saved ? saved : "";
  setenv("HEARTH_REPACK", "0", 1);
  EXPECT_FALSE(repack_enabled());
  setenv("HEARTH_REPACK", "1", 1);
  EXPECT_TRUE(repack_enabled());
  unsetenv("HEARTH_REPACK");
  EXPECT_TRUE(repack_enabled());
  if (saved) setenv("HEARTH_REPACK", keep.c_str(), 1);
}

}  // namespace
}  // namespace hearth::kernels
