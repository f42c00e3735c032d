#include "fit/shape.h"

#include <gtest/gtest.h>

namespace hearth::fit {
namespace {

int64_t params_of(const char* preset) {
  auto tensors = layout_tensors(*find_preset(preset));
  EXPECT_TRUE(tensors.ok());
  return count_parameters(*tensors);
}

// Parameter counts the model cards publish (billions).
TEST(Presets, ParameterCountsMatchTheModelCards) {
  const struct {
    const char* preset;
    double billions;
  } cards[] = {{"llama-3.2-1b", 1.24},     {"llama-3.2-3b", 3.21},
               {"llama-3.1-8b", 8.03},     {"llama-3.1-70b", 70.55},
               {"llama-3.1-405b", 405.85}, {"llama-2-7b", 6.74},
               {"llama-2-13b", 13.02},     {"llama-2-70b", 68.98},
               {"mistral-7b", 7.25},       {"mixtral-8x7b", 46.70},
               {"qwen2.5-0.5b", 0.49},     {"qwen2.5-7b", 7.62},
               {"qwen2.5-72b", 72.71},     {"qwen3-8b", 8.19},
               {"qwen3-30b-a3b", 30.53},   {"gemma-2-9b", 9.24},
               {"gemma-2-27b", 27.23},     {"gemma-3-1b", 1.00},
               {"phi-3-mini", 3.82},       {"phi-4", 14.66}};
  for (const auto& c : cards) EXPECT_NEAR(params_of(c.preset) / 1e9, c.billions, 0.02) << c.preset;
}

TEST(Presets, AllValidAndUnique) {
  for (const Preset& p : presets()) {
    EXPECT_TRUE(validate_shape(p.shape).ok()) << p.id;
    EXPECT_TRUE(find_preset(p.id).ok()) << p.id;
  }
}

TEST(Presets, UnknownNameSuggestsFamily) {
  auto r = find_preset("llama-3.1-9b");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("llama-3.1-8b"), std::string::npos);
  EXPECT_TRUE(find_preset("LLAMA-3.1-8B").ok());
}

TEST(Layout, TiedEmbeddingsHaveNoOutputTensor) {
  auto tied = *layout_tensors(*find_preset("llama-3.2-1b"));
  auto untied = *layout_tensors(*find_preset("llama-3.1-8b"));
  auto has = [](const std::vector<TensorDesc>& ts, const char* name) {
    for (const auto& t : ts) {
      if (t.name == name) return true;
    }
    return false;
  };
  EXPECT_FALSE(has(tied, "output.weight"));
  EXPECT_TRUE(has(untied, "output.weight"));
  EXPECT_TRUE(has(*layout_tensors(*find_preset("qwen2.5-7b")), "blk.0.attn_q.bias"));
  EXPECT_TRUE(has(*layout_tensors(*find_preset("phi-4")), "blk.0.attn_qkv.weight"));
  EXPECT_TRUE(has(*layout_tensors(*find_preset("gemma-3-4b")), "blk.0.post_ffw_norm.weight"));
}

TEST(Layout, LayerOfName) {
  EXPECT_EQ(layer_of("blk.17.attn_v.weight"), 17);
  EXPECT_EQ(layer_of("output.weight"), -1);
  EXPECT_EQ(layer_of("blk.x.attn_v.weight"), -1);
  EXPECT_EQ(layer_of("blk.3"), -1);
}

TEST(Shape, ValidationNamesTheField) {
  ModelShape s = *find_preset("llama-2-7b");
  s.n_kv_head = 5;
  auto st = validate_shape(s);
  EXPECT_FALSE(st.ok());
  s = *find_preset("llama-2-7b");
  s.n_vocab = 0;
  st = validate_shape(s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("vocabulary"), std::string::npos);
}

constexpr const char* kLlama31Config = R"({
  "architectures": ["LlamaForCausalLM"], "model_type": "llama",
  "hidden_size": 4096, "intermediate_size": 14336, "num_attention_heads": 32,
  "num_hidden_layers": 32, "num_key_value_heads": 8, "vocab_size": 128256,
  "max_position_embeddings": 131072, "tie_word_embeddings": false, "torch_dtype": "bfloat16"
})";

TEST(HfConfig, ReadsALlamaConfigLikeThePreset) {
  auto shape = shape_from_hf_config(kLlama31Config, "Meta-Llama-3.1-8B");
  ASSERT_TRUE(shape.ok()) << shape.status().to_string();
  EXPECT_EQ(shape->head_dim, 128);
  auto a = *layout_tensors(*shape);
  EXPECT_EQ(count_parameters(a), params_of("llama-3.1-8b"));
}

TEST(HfConfig, MixtralAndGemma3Nested) {
  auto mixtral = shape_from_hf_config(
      R"({"model_type":"mixtral","hidden_size":4096,"intermediate_size":14336,
          "num_attention_heads":32,"num_hidden_layers":32,"num_key_value_heads":8,
          "vocab_size":32000,"num_local_experts":8,"num_experts_per_tok":2})",
      "mixtral");
  ASSERT_TRUE(mixtral.ok()) << mixtral.status().to_string();
  EXPECT_EQ(mixtral->n_expert, 8);
  EXPECT_EQ(mixtral->n_expert_used, 2);
  auto gemma = shape_from_hf_config(
      R"({"model_type":"gemma3","text_config":{"hidden_size":2560,"intermediate_size":10240,
          "num_attention_heads":8,"num_hidden_layers":34,"num_key_value_heads":4,"head_dim":256,
          "vocab_size":262208}})",
      "gemma3");
  ASSERT_TRUE(gemma.ok()) << gemma.status().to_string();
  EXPECT_TRUE(gemma->tied_embeddings);
  EXPECT_EQ(gemma->head_dim, 256);
}

TEST(HfConfig, BadInputsAreClearErrors) {
  EXPECT_FALSE(shape_from_hf_config("{not json", "x").ok());
  EXPECT_FALSE(shape_from_hf_config("[1,2]", "x").ok());
  auto missing = shape_from_hf_config(R"({"model_type":"llama","hidden_size":4096})", "x");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("num_hidden_layers"), std::string::npos);
  auto wrong = shape_from_hf_config(
      R"({"model_type":"llama","hidden_size":"big","num_hidden_layers":2})", "x");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("hidden_size"), std::string::npos);
  auto type = shape_from_hf_config(R"({"model_type":"mamba"})", "x");
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(type.status().code(), StatusCode::kUnsupported);
  auto zero_heads = shape_from_hf_config(
      R"({"model_type":"llama","hidden_size":64,"num_hidden_layers":2,"num_attention_heads":0,
          "intermediate_size":128,"vocab_size":100})",
      "x");
  EXPECT_FALSE(zero_heads.ok());
}

}  // namespace
}  // namespace hearth::fit
