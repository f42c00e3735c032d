#include "model/model.h"

#include <gtest/gtest.h>

#include "tiny_model.h"

namespace hearth::model {
namespace {

using hearth::testing::make_tiny;
using hearth::testing::ref_forward;
using hearth::testing::TinyModel;
using hearth::testing::TinySpec;

// The model keeps pointers into m.bytes: `m` must outlive it.
Result<std::unique_ptr<Model>> load_tiny(const TinyModel& m) {
  auto file = gguf::File::parse(m.bytes, "tiny.gguf");
  if (!file.ok()) return file.status();
  return Model::from_file(std::move(file).value());
}

void expect_matches_reference(const TinySpec& spec) {
  TinyModel tm = make_tiny(spec);
  ASSERT_FALSE(tm.bytes.empty());
  auto model = load_tiny(tm);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  const std::vector<int32_t> tokens = {1, 7, 42, 3, 3, 19, 0, 25, 11};
  auto want = ref_forward(tm, tokens);

  ThreadPool pool(1);
  Session all(**model, pool, spec.n_ctx);
  ASSERT_TRUE(all.eval(tokens, Logits::kAll).ok());
  const int64_t nv = spec.n_vocab;
  ASSERT_EQ(all.logits().size(), tokens.size() * nv);
  for (size_t i = 0; i < tokens.size(); ++i)
    for (int64_t v = 0; v < nv; ++v)
      ASSERT_NEAR(all.logits()[i * nv + v], want[i][v], 2e-3 * (1 + std::abs(want[i][v])))
          << spec.arch << " token " << i << " vocab " << v;

  // Token-by-token decoding through the KV cache gives the same logits as one batch.
  Session step(**model, pool, spec.n_ctx);
  step.max_batch = 4;
  ASSERT_TRUE(step.eval(std::span(tokens).first(5)).ok());
  for (size_t i = 5; i < tokens.size(); ++i) {
    ASSERT_TRUE(step.eval(std::span(tokens).subspan(i, 1)).ok());
    for (int64_t v = 0; v < nv; ++v)
      ASSERT_NEAR(step.last_logits()[v], all.logits()[i * nv + v],
                  1e-4 * (1 + std::abs(want[i][v])));
  }
}

TEST(Model, LlamaMatchesReference) {
  expect_matches_reference(TinySpec{});
}

TEST(Model, LlamaTiedEmbeddingsRopeFreqsAndLinearScaling) {
  TinySpec s;
  s.tied = true;
  s.rope_freqs = true;
  s.linear_scale = 4.0f;
  s.n_head_kv = 1;
  s.rope_dims = 6;  // partial rotary: the last 2 dims of each head pass through
  expect_matches_reference(s);
}

TEST(Model, Qwen2BiasesNeoxMatchesReference) {
  TinySpec s;
  s.arch = "qwen2";
  s.biases = true;
  s.neox = true;
  s.tied = true;
  s.freq_base = 1e6f;
  expect_matches_reference(s);
}

TEST(Model, Qwen3QkNormAndWideHeadsMatchesReference) {
  TinySpec s;
  s.arch = "qwen3";
  s.qk_norm = true;
  s.neox = true;
  s.head_dim = 16;  // n_head * head_dim = 64 != n_embd = 32
  s.rope_dims = 16;
  s.rms_eps = 1e-6f;
  expect_matches_reference(s);
}

TEST(Model, ConfigFromMetadata) {
  TinySpec s;
  s.arch = "qwen3";
  s.qk_norm = true;
  s.head_dim = 16;
  s.rope_dims = 16;
  TinyModel tm = make_tiny(s);
  auto model = load_tiny(tm);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  const ModelConfig& c = (*model)->config();
  EXPECT_EQ(c.arch, "qwen3");
  EXPECT_EQ(c.n_embd, 32);
  EXPECT_EQ(c.q_dim(), 64);
  EXPECT_EQ(c.k_dim(), 32);
  EXPECT_EQ(c.n_vocab, 50);
  EXPECT_EQ(c.rope.layout, RopeLayout::kNeox);
  EXPECT_EQ((*model)->arch().name, std::string("qwen3"));
  EXPECT_GT((*model)->weight_bytes(), 0u);
}

TEST(Model, MissingTensorIsNamed) {
  auto model = load_tiny(make_tiny(TinySpec{}, "blk.1.ffn_up.weight"));
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("blk.1.ffn_up.weight"), std::string::npos)
      << model.status().message();
  EXPECT_NE(model.status().message().find("missing"), std::string::npos);
}

TEST(Model, MissingBiasOnQwen2IsNamed) {
  TinySpec s;
  s.arch = "qwen2";  // qwen2 requires biases; the builder leaves them out
  auto model = load_tiny(make_tiny(s));
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("blk.0.attn_q.bias"), std::string::npos)
      << model.status().message();
}

TEST(Model, MisShapedTensorIsNamed) {
  auto model = load_tiny(make_tiny(TinySpec{}, "", "blk.0.attn_k.weight"));
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("blk.0.attn_k.weight"), std::string::npos)
      << model.status().message();
  EXPECT_NE(model.status().message().find("shape"), std::string::npos);
}

TEST(Model, UnknownArchitectureIsUnsupported) {
  TinySpec s;
  s.arch = "mamba";
  auto model = load_tiny(make_tiny(s));
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(model.status().message().find("mamba"), std::string::npos);
}

TEST(Model, BadTokensAndContextOverflowAreErrors) {
  TinyModel tm = make_tiny(TinySpec{});
  auto model = load_tiny(tm);
  ASSERT_TRUE(model.ok());
  ThreadPool pool(1);
  Session s(**model, pool, 4);
  std::vector<int32_t> bad = {1, 50};
  EXPECT_EQ(s.eval(bad).code(), StatusCode::kInvalidArgument);
  std::vector<int32_t> neg = {-1};
  EXPECT_FALSE(s.eval(neg).ok());
  std::vector<int32_t> five = {1, 2, 3, 4, 5};
  Status st = s.eval(five);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("context"), std::string::npos);
  EXPECT_EQ(s.n_past(), 0);
  std::vector<int32_t> four = {1, 2, 3, 4};
  EXPECT_TRUE(s.eval(four).ok());
  std::vector<int32_t> one = {1};
  EXPECT_FALSE(s.eval(one).ok());
  s.truncate(0);
  EXPECT_TRUE(s.eval(one).ok());
}

TEST(Model, LoadMissingFileIsAnError) {
  auto model = Model::load("/nonexistent/model.gguf");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("/nonexistent/model.gguf"), std::string::npos);
}

}  // namespace
}  // namespace hearth::model
