#include "fit/estimate.h"

#include <gtest/gtest.h>

#include "fit/units.h"

namespace hearth::fit {
namespace {

constexpr double kGB = 1e9;

ModelSpec preset_at(const char* preset, const char* quant) {
  auto shape = find_preset(preset);
  EXPECT_TRUE(shape.ok()) << shape.status().to_string();
  auto scheme = find_scheme(quant);
  EXPECT_TRUE(scheme.ok());
  auto spec = spec_for_scheme(*shape, **scheme, "preset");
  EXPECT_TRUE(spec.ok()) << spec.status().to_string();
  return *spec;
}

TEST(KvCache, FollowsTheFormula) {
  auto shape = *find_preset("llama-2-7b");
  // 2 (K, V) x 32 layers x 4096 positions x 32 KV heads x 128 dims x 2 bytes
  EXPECT_EQ(kv_cache_bytes(shape, 4096, 1, KvType::kF16), 2ull * 32 * 4096 * 32 * 128 * 2);
  EXPECT_EQ(kv_cache_bytes(shape, 4096, 4, KvType::kF16),
            4 * kv_cache_bytes(shape, 4096, 1, KvType::kF16));
  // q8_0: 34 bytes per 32 values
  EXPECT_EQ(kv_cache_bytes(shape, 4096, 1, KvType::kQ8_0), 2ull * 32 * 4096 * 32 * 128 * 34 / 32);
  auto gqa = *find_preset("llama-3.1-8b");  // 8 KV heads of 32: a quarter of the cache
  EXPECT_EQ(kv_cache_bytes(gqa, 8192, 1, KvType::kF16), 2ull * 32 * 8192 * 8 * 128 * 2);
}

TEST(KvCache, TypesParse) {
  EXPECT_EQ(*parse_kv_type("Q8_0"), KvType::kQ8_0);
  EXPECT_EQ(*parse_kv_type("f16"), KvType::kF16);
  EXPECT_FALSE(parse_kv_type("q4_k").ok());
}

TEST(Estimate, ItemsAddUpToTheTotal) {
  ModelSpec spec = preset_at("llama-3.1-8b", "Q4_K_M");
  FitOptions o;
  o.n_ctx = 8192;
  o.n_parallel = 2;
  MemoryEstimate m = estimate_memory(spec, o, 512u << 20);
  EXPECT_EQ(m.total_bytes, m.weights_bytes + m.kv_cache_bytes + m.compute_bytes + m.overhead_bytes);
  uint64_t sum = 0;
  for (const auto& item : m.weights_by_type) sum += item.bytes;
  EXPECT_EQ(sum, m.weights_bytes);
  sum = 0;
  for (const auto& item : m.compute_items) sum += item.bytes;
  EXPECT_EQ(sum, m.compute_bytes);
  EXPECT_EQ(m.kv_cache_bytes, kv_cache_bytes(spec.shape, 8192, 2, KvType::kF16));
}

// The seed's table (docs/FIT.md): at context 4096 (Llama 2's whole trained context), one
// sequence, f16 KV cache, on a CPU (no device reserve).
TEST(Estimate, ReDerivesTheSeedTable) {
  FitOptions o;
  o.n_ctx = 4096;
  const double gb7 = estimate_memory(preset_at("llama-2-7b", "Q4_K_M"), o).total_bytes / kGB;
  const double gb13 = estimate_memory(preset_at("llama-2-13b", "Q4_K_M"), o).total_bytes / kGB;
  const double gb70_q3 = estimate_memory(preset_at("llama-2-70b", "Q3_K_M"), o).total_bytes / kGB;
  const double gb70_q4 = estimate_memory(preset_at("llama-2-70b", "Q4_0"), o).total_bytes / kGB;
  EXPECT_GT(gb7, 6.0);
  EXPECT_LT(gb7, 8.0);  // "~8 GB": runs in an 8 GB machine
  EXPECT_GT(gb13, 11.0);
  EXPECT_LT(gb13, 12.0);  // "~12 GB"
  EXPECT_GT(gb70_q3, 35.0);
  EXPECT_LT(gb70_q4, 43.0);
}

TEST(Estimate, MaxContextIsTheLargestThatFits) {
  ModelSpec spec = preset_at("llama-3.1-8b", "Q4_K_M");
  FitOptions o;
  const uint64_t budget = 8ull << 30;
  const int64_t ctx = max_context(spec, o, budget);
  ASSERT_GT(ctx, 0);
  EXPECT_EQ(ctx % 256, 0);
  o.n_ctx = ctx;
  EXPECT_LE(estimate_memory(spec, o).total_bytes, budget);
  o.n_ctx = ctx + 256;
  EXPECT_GT(estimate_memory(spec, o).total_bytes, budget);
  EXPECT_EQ(max_context(spec, o, 1ull << 30), 0);       // weights alone do not fit
  EXPECT_EQ(max_context(spec, o, 1ull << 40), 131072);  // capped at the trained context
}

TEST(Speed, BandwidthOverBytesPerToken) {
  ModelSpec spec = preset_at("llama-2-7b", "Q4_K_M");
  FitOptions o;
  o.n_ctx = 512;
  Device d;
  d.kind = DeviceKind::kGpu;  // its own efficiency (a CPU uses hearth's per weight format)
  d.bandwidth_bytes_per_s = 100e9;
  d.decode_efficiency = 1.0;
  d.flops = 1e15;
  MemoryEstimate m = estimate_memory(spec, o);
  SpeedEstimate s = estimate_speed(spec, m, o, d);
  EXPECT_NEAR(s.tokens_per_s, 100e9 / s.bytes_per_token, 1e-6);
  // Weights but the embedding (looked up, not read) plus half the KV cache (half full on average).
  const uint64_t embedding = 32000ull * 4096 * 144 / 256;  // token_embd at Q4_K
  EXPECT_NEAR(static_cast<double>(s.bytes_per_token),
              static_cast<double>(m.weights_file_bytes - embedding + m.kv_cache_bytes / 2), 1e6);
  o.n_parallel = 4;
  SpeedEstimate batched = estimate_speed(spec, estimate_memory(spec, o), o, d);
  EXPECT_GT(batched.aggregate_tokens_per_s, 3 * s.tokens_per_s);
}

TEST(Speed, MixtureOfExpertsReadsOnlyTheExpertsUsed) {
  ModelSpec spec = preset_at("mixtral-8x7b", "Q4_K_M");
  FitOptions o;
  Device d;
  d.bandwidth_bytes_per_s = 1e12;
  d.flops = 1e15;
  MemoryEstimate m = estimate_memory(spec, o);
  SpeedEstimate s = estimate_speed(spec, m, o, d);
  EXPECT_LT(s.bytes_per_token, m.weights_bytes * 0.4);  // 2 of 8 experts
  EXPECT_NEAR(m.n_active_params / 1e9, 12.9, 0.3);      // Mixtral: ~12.9B active of 46.7B
}

TEST(Speed, CpuDecodeUsesHearthsShareOfTheRoofline) {
  Device cpu;
  cpu.kind = DeviceKind::kCpu;
  cpu.bandwidth_bytes_per_s = 30e9;
  cpu.flops = 1e15;
  FitOptions o;
  o.n_ctx = 512;
  auto speed = [&](const char* quant) {
    ModelSpec spec = preset_at("tinyllama-1.1b", quant);
    SpeedEstimate s = estimate_speed(spec, estimate_memory(spec, o), o, cpu);
    return s.tokens_per_s * s.bytes_per_token / cpu.bandwidth_bytes_per_s;
  };
  // measured 89.9% (docs/PERFORMANCE.md); the scheme's output projection is Q6_K
  EXPECT_GT(speed("Q4_0"), 0.85);
  EXPECT_LT(speed("Q4_0"), 0.91);
  EXPECT_NEAR(speed("Q8_0"), 0.91, 0.01);    // 92.8%
  EXPECT_NEAR(speed("Q4_K_M"), 0.71, 0.01);  // 70.9% (Q4_K and Q6_K tensors)
}

TEST(Estimate, CpuChargesHearthsBuffersNotAScoreMatrix) {
  ModelSpec spec = preset_at("tinyllama-1.1b", "Q4_0");
  FitOptions o;
  o.n_ctx = 8192;
  MemoryEstimate cpu = estimate_memory(spec, o);
  MemoryEstimate gpu = estimate_memory(spec, o, 512u << 20);
  // hearth: 512 tokens x (3 x 2048 + 64 + (2 x 2048 + 2 x 256) + 2 x 5632) f32 activations
  EXPECT_EQ(cpu.compute_items[0].bytes,
            4ull * 512 * (3 * 2048 + 64 + 2 * 2048 + 2 * 256 + 2 * 5632));
  // llama.cpp on a GPU: also the scores of one layer, 32 heads x 512 x 8192 f32
  bool has_scores = false;
  for (const auto& item : gpu.compute_items)
    if (item.name == "attention scores") has_scores = item.bytes == 4ull * 32 * 512 * 8192;
  EXPECT_TRUE(has_scores);
  // The untied embedding is looked up by rows on a CPU: a 64 KiB window per distinct token
  // (~4 x n^0.6 of n), so part of its 32000 x 2048 Q4_0 rows at 8192, little at 64.
  const uint64_t embedding = 32000ull * 2048 / 32 * 18;
  EXPECT_EQ(cpu.weights_file_bytes, gpu.weights_bytes);
  EXPECT_LT(cpu.weights_bytes, cpu.weights_file_bytes);
  EXPECT_GT(cpu.weights_bytes, cpu.weights_file_bytes - embedding / 2);
  o.n_ctx = 64;
  MemoryEstimate short_ctx = estimate_memory(spec, o);
  EXPECT_LE(short_ctx.weights_bytes, short_ctx.weights_file_bytes - embedding + 50 * (64 << 10));
}

TEST(Units, ParseSizesAndBandwidth) {
  EXPECT_EQ(*parse_bytes("12GB"), 12'000'000'000ull);
  EXPECT_EQ(*parse_bytes("24 GiB"), 24ull << 30);
  EXPECT_EQ(*parse_bytes("512mib"), 512ull << 20);
  EXPECT_EQ(*parse_bytes("1.5T"), 1'500'000'000'000ull);
  EXPECT_FALSE(parse_bytes("12XB").ok());
  EXPECT_FALSE(parse_bytes("12").ok());
  EXPECT_FALSE(parse_bytes("GB").ok());
  EXPECT_FALSE(parse_bytes("-3GB").ok());
  EXPECT_FALSE(parse_bytes("").ok());
  EXPECT_DOUBLE_EQ(*parse_bandwidth("360GB/s"), 360e9);
  EXPECT_DOUBLE_EQ(*parse_bandwidth("1.2 TB/s"), 1.2e12);
  EXPECT_FALSE(parse_bandwidth("fast").ok());
  EXPECT_FALSE(parse_bandwidth("0GB/s").ok());
  EXPECT_DOUBLE_EQ(*parse_flops("82TFLOPS"), 82e12);
  EXPECT_EQ(format_bytes(4080218112ull), "3.80 GiB");
}

}  // namespace
}  // namespace hearth::fit
