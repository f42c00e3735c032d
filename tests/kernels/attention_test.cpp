// kernels/attention.h on every SIMD ISA against the scalar reference (kernels/ref/attention_ref.h),
// contiguous and paged K/V, and the reference against a plain double-precision softmax.
#include "kernels/attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/ref/attention_ref.h"

namespace hearth::kernels {
namespace {

struct Case {
  int64_t n_kv, head_dim_k, head_dim_v, n_q;
};

// K/V of n_kv positions for one KV head, stored in a cache of n_kv_heads heads (stride).
struct Cache {
  std::vector<fp16_t> k, v;  // (n_slots, n_kv_heads * head_dim)
  size_t k_stride = 0, v_stride = 0;
};

constexpr int64_t kKvHeads = 3;

Cache random_cache(const Case& c, int64_t n_slots, float k_range, std::mt19937& rng) {
  std::uniform_real_distribution<float> uk(-k_range, k_range), uv(-1.0f, 1.0f);
  Cache cache;
  cache.k_stride = kKvHeads * c.head_dim_k;
  cache.v_stride = kKvHeads * c.head_dim_v;
  cache.k.resize(n_slots * cache.k_stride);
  cache.v.resize(n_slots * cache.v_stride);
  for (auto& x : cache.k) x = float_to_fp16(uk(rng));
  for (auto& x : cache.v) x = float_to_fp16(uv(rng));
  return cache;
}

AttentionHeadArgs args_for(const Case& c, const Cache& cache, const float* q) {
  AttentionHeadArgs a;
  a.q = q;
  a.k = cache.k.data() + 1 * c.head_dim_k;  // KV head 1 of kKvHeads
  a.v = cache.v.data() + 1 * c.head_dim_v;
  a.k_stride = cache.k_stride;
  a.v_stride = cache.v_stride;
  a.n_kv = c.n_kv;
  a.head_dim_k = c.head_dim_k;
  a.head_dim_v = c.head_dim_v;
  a.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim_k));
  return a;
}

std::vector<float> reference(const AttentionHeadArgs& a, int64_t n_q) {
  std::vector<float> out(n_q * a.head_dim_v), scratch(a.head_dim_k + a.head_dim_v);
  AttentionHeadArgs head = a;
  for (int64_t h = 0; h < n_q; ++h) {
    head.q = a.q + h * a.head_dim_k;
    ref::attention_head(head, scratch.data(), out.data() + h * a.head_dim_v);
  }
  return out;
}

std::vector<float> grouped(const AttentionHeadArgs& a, int64_t n_q) {
  std::vector<float> out(n_q * a.head_dim_v, -7.0f);
  attention_group(a, n_q, a.head_dim_k, out.data(), a.head_dim_v);
  return out;
}

const Case kCases[] = {{1, 64, 64, 1},  {7, 64, 64, 8},  {33, 64, 64, 4}, {100, 128, 128, 2},
                       {70, 80, 80, 3}, {45, 16, 24, 5}, {9, 12, 12, 2},  {257, 64, 64, 8}};

// Values are in [-1, 1]; the f16 running sum carries ~1e-3 relative rounding per step, and a
// different order of the K dot-product additions can flip single roundings.
constexpr float kTol = 4e-3f;

TEST(AttentionSimd, GroupMatchesReferenceOnEveryIsa) {
  testing::IsaGuard guard;
  std::mt19937 rng(5);
  for (const Case& c : kCases) {
    for (float k_range : {0.5f, 4.0f}) {  // flat and peaked softmax (many new maxima)
      const Cache cache = random_cache(c, c.n_kv, k_range, rng);
      std::vector<float> q = testing::random_floats(c.n_q * c.head_dim_k, rng);  // (n_q, dk)
      const AttentionHeadArgs a = args_for(c, cache, q.data());
      const std::vector<float> want = reference(a, c.n_q);
      for (Isa isa : testing::simd_isas_to_test()) {
        set_active_isa(isa);
        const std::vector<float> got = grouped(a, c.n_q);
        for (size_t i = 0; i < want.size(); ++i) {
          ASSERT_NEAR(got[i], want[i], kTol)
              << isa_name(isa) << " n_kv=" << c.n_kv << " dk=" << c.head_dim_k << " i=" << i;
        }
        // the per-head entry point takes the same path
        std::vector<float> one(c.head_dim_v), scratch(c.head_dim_k + c.head_dim_v);
        attention_head(a, scratch.data(), one.data());
        for (int64_t d = 0; d < c.head_dim_v; ++d) ASSERT_EQ(one[d], got[d]) << isa_name(isa);
      }
      set_active_isa(Isa::kScalar);
      EXPECT_EQ(grouped(a, c.n_q), want);
    }
  }
}

TEST(AttentionSimd, PagedCacheMatchesContiguous) {
  testing::IsaGuard guard;
  std::mt19937 rng(11);
  const Case c{75, 64, 64, 4};
  const int64_t block = 16, n_blocks = (c.n_kv + block - 1) / block;
  const Cache flat = random_cache(c, c.n_kv, 2.0f, rng);
  // the same positions scattered over a larger pool in reverse block order
  std::vector<int32_t> table(n_blocks);
  for (int64_t b = 0; b < n_blocks; ++b)
    table[b] = static_cast<int32_t>(2 * (n_blocks - 1 - b) + 1);
  Cache paged = random_cache(c, 2 * n_blocks * block, 2.0f, rng);
  for (int64_t j = 0; j < c.n_kv; ++j) {
    const int64_t slot = table[j / block] * block + j % block;
    std::copy_n(flat.k.begin() + j * flat.k_stride, flat.k_stride,
                paged.k.begin() + slot * paged.k_stride);
    std::copy_n(flat.v.begin() + j * flat.v_stride, flat.v_stride,
                paged.v.begin() + slot * paged.v_stride);
  }
  std::vector<float> q = testing::random_floats(c.n_q * c.head_dim_k, rng);
  AttentionHeadArgs a_flat = args_for(c, flat, q.data());
  AttentionHeadArgs a_paged = args_for(c, paged, q.data());
  a_paged.block_table = table.data();
  a_paged.block_size = block;
  std::vector<Isa> isas = testing::simd_isas_to_test();
  isas.push_back(Isa::kScalar);
  for (Isa isa : isas) {
    set_active_isa(isa);
    EXPECT_EQ(grouped(a_paged, c.n_q), grouped(a_flat, c.n_q)) << isa_name(isa);
  }
}

TEST(AttentionReference, CloseToExactSoftmax) {
  std::mt19937 rng(3);
  const Case c{50, 64, 64, 1};
  const Cache cache = random_cache(c, c.n_kv, 3.0f, rng);
  std::vector<float> q = testing::random_floats(c.head_dim_k, rng);
  const AttentionHeadArgs a = args_for(c, cache, q.data());
  const std::vector<float> got = reference(a, 1);
  std::vector<double> s(c.n_kv);
  for (int64_t j = 0; j < c.n_kv; ++j) {
    double dot = 0;
    for (int64_t d = 0; d < c.head_dim_k; ++d)
      dot += static_cast<double>(fp16_to_float(float_to_fp16(q[d]))) *
             fp16_to_float(a.k[j * a.k_stride + d]);
    s[j] = dot * a.scale;
  }
  const double m = *std::max_element(s.begin(), s.end());
  double total = 0;
  for (double& x : s) total += (x = std::exp(x - m));
  for (int64_t d = 0; d < c.head_dim_v; ++d) {
    double want = 0;
    for (int64_t j = 0; j < c.n_kv; ++j) want += s[j] * fp16_to_float(a.v[j * a.v_stride + d]);
    EXPECT_NEAR(got[d], want / total, 2e-3) << "d=" << d;
  }
}

}  // namespace
}  // namespace hearth::kernels
