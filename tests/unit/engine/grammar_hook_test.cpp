// The engine's structured-output hook: a request with a grammar only samples allowed tokens,
// stops when the grammar is complete, and finishes with an error at a dead end (never loops).
#include <gtest/gtest.h>

#include <memory>

#include "engine/engine.h"
#include "fake_forward.h"
#include "grammar/constraint.h"

namespace hearth::engine {
namespace {

using testing::CollectSink;
using testing::FakeForward;
using testing::FakeVocab;

constexpr int kVocab = 50;

std::shared_ptr<const grammar::TokenTrie> fake_trie() {
  FakeVocab vocab;
  std::vector<std::string> pieces;  // (kVocab) "t<id> "
  for (int32_t t = 0; t < kVocab; ++t) pieces.push_back(t == 0 ? "" : vocab.token_piece(t));
  return grammar::TokenTrie::build(pieces, {0});
}

std::shared_ptr<CollectSink> run(const std::string& gbnf, float temperature, int max_tokens) {
  FakeForward fwd(kVocab, 64);
  FakeVocab vocab;
  EngineConfig config;
  config.n_blocks = 64;
  config.sched.max_model_len = 512;
  Engine engine(config, fwd, vocab);
  auto g = grammar::Grammar::parse(gbnf);
  EXPECT_TRUE(g.ok()) << g.status().to_string();
  auto req = std::make_shared<Request>();
  req->prompt = {1, 2, 3};
  req->params.temperature = temperature;
  req->params.seed = 7;
  req->params.max_tokens = max_tokens;
  req->grammar = grammar::Constraint::create(*g, fake_trie());
  auto sink = std::make_shared<CollectSink>();
  req->sink = sink;
  EXPECT_TRUE(engine.submit(req).ok());
  while (engine.step()) {
  }
  return sink;
}

TEST(EngineGrammar, OnlyAllowedTokensAndStopsWhenComplete) {
  for (float temperature : {0.0f, 1.0f}) {
    auto sink = run(R"(root ::= "t1" [0-9] " " ("t2" [0-9] " ")+ "t3 ")", temperature, 40);
    EXPECT_EQ(sink->finishes, 1);
    EXPECT_EQ(sink->reason, FinishReason::kStop) << sink->error.to_string();
    ASSERT_GE(sink->tokens.size(), 3u);
    EXPECT_GE(sink->tokens[0], 10);
    EXPECT_LE(sink->tokens[0], 19);
    EXPECT_EQ(sink->tokens.back(), 3);
    for (size_t i = 1; i + 1 < sink->tokens.size(); ++i) {
      EXPECT_GE(sink->tokens[i], 20);
      EXPECT_LE(sink->tokens[i], 29);
    }
  }
}

TEST(EngineGrammar, DeadEndFinishesWithAnError) {
  auto sink = run(R"(root ::= "t7 " "zzz")", 1.0f, 40);
  EXPECT_EQ(sink->finishes, 1);
  EXPECT_EQ(sink->reason, FinishReason::kError);
  EXPECT_NE(sink->error.message().find("dead end"), std::string::npos) << sink->error.message();
  EXPECT_EQ(sink->tokens, std::vector<int32_t>{7});
}

}  // namespace
}  // namespace hearth::engine
