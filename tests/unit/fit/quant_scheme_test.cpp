#include "fit/quant_scheme.h"

#include <gtest/gtest.h>

#include "fit/estimate.h"

namespace hearth::fit {
namespace {

using quant::GgmlType;

// brown-6m's shape (../shared/testdata/README.md): dim 256, 6 layers, 8 heads, 4 KV heads,
// ffn 768, vocabulary 4096, untied output.
ModelShape brown6m() {
  ModelShape s;
  s.name = "brown-6m";
  s.arch = "llama";
  s.n_layer = 6;
  s.n_embd = 256;
  s.n_head = 8;
  s.n_kv_head = 4;
  s.head_dim = 32;
  s.n_ff = 768;
  s.n_vocab = 4096;
  s.n_ctx_train = 256;
  return s;
}

uint64_t weights_at(const ModelShape& shape, const char* quant) {
  auto spec = spec_for_scheme(shape, **find_scheme(quant), "test");
  EXPECT_TRUE(spec.ok()) << spec.status().to_string();
  uint64_t total = 0;
  for (const auto& t : spec->tensors) total += t.n_bytes;
  return total;
}

// The tensor bytes of the files llama-quantize wrote (sums of each file's tensor directory,
// ../shared/testdata/models/brown-6m-*.gguf): the rules must reproduce them exactly.
TEST(QuantScheme, ReproducesLlamaQuantizeOnBrown6m) {
  const struct {
    const char* quant;
    uint64_t bytes;
  } files[] = {{"F32", 27276288}, {"F16", 13644800},   {"Q8_0", 7255040},
               {"Q6_K", 5604352}, {"Q5_K_M", 4899328}, {"Q4_K_M", 4235776},
               {"Q4_0", 4117504}, {"Q3_K_S", 3351552}, {"Q2_K", 2945536}};
  for (const auto& f : files) EXPECT_EQ(weights_at(brown6m(), f.quant), f.bytes) << f.quant;
}

TEST(QuantScheme, MoreBitsForAttnVAndFfnDownInSomeLayers) {
  ModelShape s = brown6m();
  auto spec = *spec_for_scheme(s, **find_scheme("Q4_K_M"), "test");
  for (const auto& t : spec.tensors) {
    const bool bumped_layer = t.name.rfind("blk.2.", 0) == 0 || t.name.rfind("blk.5.", 0) == 0;
    if (t.name.find("attn_v") != std::string::npos ||
        t.name.find("ffn_down") != std::string::npos) {
      EXPECT_EQ(t.ggml_type,
                static_cast<uint32_t>(bumped_layer ? GgmlType::kQ6_K : GgmlType::kQ4_K))
          << t.name;
    }
    if (t.name == "output.weight") {
      EXPECT_EQ(t.ggml_type, static_cast<uint32_t>(GgmlType::kQ6_K));
    }
    if (t.name == "token_embd.weight") {
      EXPECT_EQ(t.ggml_type, static_cast<uint32_t>(GgmlType::kQ4_K));
    }
    if (t.n_dims == 1) {
      EXPECT_EQ(t.ggml_type, static_cast<uint32_t>(GgmlType::kF32)) << t.name;
    }
  }
}

TEST(QuantScheme, FallsBackWhenRowsAreNotMultiplesOf256) {
  // Qwen2.5 0.5B: hidden 896 = 3.5 x 256, so K-quants fall back for rows of 896.
  auto spec = *spec_for_scheme(*find_preset("qwen2.5-0.5b"), **find_scheme("Q4_K_M"), "test");
  for (const auto& t : spec.tensors) {
    if (t.name == "blk.3.attn_q.weight") {
      EXPECT_EQ(t.ggml_type, static_cast<uint32_t>(GgmlType::kQ5_0));
    }
    if (t.name == "blk.3.ffn_down.weight") {
      EXPECT_EQ(t.ggml_type, static_cast<uint32_t>(GgmlType::kQ4_K));
    }
    // tied embedding = output: Q6_K needs rows of 256, so Q8_0
    if (t.name == "token_embd.weight") {
      EXPECT_EQ(t.ggml_type, static_cast<uint32_t>(GgmlType::kQ8_0));
    }
  }
}

TEST(QuantScheme, SpecialCasesFor70BAndEightExperts) {
  auto llama70 = *spec_for_scheme(*find_preset("llama-2-70b"), **find_scheme("Q4_K_M"), "test");
  for (const auto& t : llama70.tensors) {
    if (t.name == "blk.11.attn_v.weight") {
      EXPECT_EQ(t.ggml_type, static_cast<uint32_t>(GgmlType::kQ5_K));  // Q4_K bumped
    }
    if (t.name == "blk.1.attn_v.weight") {
      EXPECT_EQ(t.ggml_type, static_cast<uint32_t>(GgmlType::kQ6_K));  // use_more_bits layer
    }
  }
  auto mixtral = *spec_for_scheme(*find_preset("mixtral-8x7b"), **find_scheme("Q4_K_M"), "test");
  for (const auto& t : mixtral.tensors) {
    if (t.name == "blk.1.attn_k.weight") {
      EXPECT_EQ(t.ggml_type, static_cast<uint32_t>(GgmlType::kQ8_0));
    }
    if (t.name == "blk.1.attn_output.weight") {
      EXPECT_EQ(t.ggml_type, static_cast<uint32_t>(GgmlType::kQ5_K));
    }
    if (t.name == "blk.1.ffn_gate_inp.weight") {
      EXPECT_EQ(t.ggml_type, static_cast<uint32_t>(GgmlType::kF32));
    }
  }
}

// Published file sizes (GB = 10^9): Llama 2 7B Q4_K_M 4.08, Q8_0 7.16; Llama 2 70B Q4_K_M 41.42;
// Llama 3 8B Q4_K_M 4.92 (llama-quantize's table says 4.58 "G" = GiB: 4.92e9 bytes).
TEST(QuantScheme, MatchesPublishedFileSizes) {
  EXPECT_NEAR(weights_at(*find_preset("llama-2-7b"), "Q4_K_M") / 1e9, 4.08, 0.02);
  EXPECT_NEAR(weights_at(*find_preset("llama-2-7b"), "Q8_0") / 1e9, 7.16, 0.02);
  EXPECT_NEAR(weights_at(*find_preset("llama-2-70b"), "Q4_K_M") / 1e9, 41.42, 0.1);
  EXPECT_NEAR(weights_at(*find_preset("llama-3.1-8b"), "Q4_K_M") / 1e9, 4.92, 0.03);
}

TEST(QuantScheme, UnknownNameIsAnError) {
  auto r = find_scheme("Q4_K_X");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Q4_K_M"), std::string::npos);
  EXPECT_TRUE(find_scheme("q4_k_m").ok());
}

}  // namespace
}  // namespace hearth::fit
