#include "engine/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>

#include "fake_forward.h"

namespace hearth::engine {
namespace {

using testing::CollectSink;
using testing::FakeForward;
using testing::FakeVocab;
using testing::make_req;

EngineConfig config(int n_blocks, int budget) {
  EngineConfig c;
  c.n_blocks = n_blocks;
  c.sched.max_tokens_per_step = budget;
  c.sched.max_model_len = 512;
  return c;
}

std::vector<int32_t> run_alone(int n, int32_t first, int max_tokens) {
  FakeForward fwd(50, 64);
  FakeVocab vocab;
  Engine engine(config(64, 512), fwd, vocab);
  auto sink = std::make_shared<CollectSink>();
  EXPECT_TRUE(engine.submit(make_req(n, first, max_tokens, sink)).ok());
  while (engine.step()) {
  }
  return sink->tokens;
}

TEST(Engine, GeneratesUntilMaxTokens) {
  FakeForward fwd(50, 64);
  FakeVocab vocab;
  Engine engine(config(64, 512), fwd, vocab);
  auto sink = std::make_shared<CollectSink>();
  ASSERT_TRUE(engine.submit(make_req(10, 3, 5, sink)).ok());
  while (engine.step()) {
  }
  EXPECT_EQ(sink->tokens.size(), 5u);
  EXPECT_EQ(sink->finishes, 1);
  EXPECT_EQ(sink->reason, FinishReason::kLength);
  std::string expect;
  for (int32_t t : sink->tokens) expect += "t" + std::to_string(t) + " ";
  EXPECT_EQ(sink->text, expect);
  EngineStats st = engine.stats();
  EXPECT_EQ(st.kv.pool.used, 0);
  EXPECT_EQ(st.generated_tokens, 5u);
  EXPECT_EQ(st.prompt_tokens, 10u);
  // One prefill step and four decode steps, each timed; the forward is part of its step.
  EXPECT_EQ(st.steps, 5u);
  EXPECT_GT(st.step_seconds, 0);
  EXPECT_LE(st.forward_seconds, st.step_seconds);
  EXPECT_GE(st.overhead_cpu_seconds, 0);
}

TEST(Engine, SameOutputAloneAndInsideABusySmallCache) {
  std::vector<std::vector<int32_t>> alone;
  for (int i = 0; i < 8; ++i) alone.push_back(run_alone(20 + i * 7, 1 + i % 3, 30));
  // Tight cache and budget: chunked prefill, prefix hits (shared starts) and preemption.
  FakeForward fwd(50, 24);
  FakeVocab vocab;
  Engine engine(config(24, 40), fwd, vocab);
  std::vector<std::shared_ptr<CollectSink>> sinks;
  for (int i = 0; i < 8; ++i) {
    sinks.push_back(std::make_shared<CollectSink>());
    ASSERT_TRUE(engine.submit(make_req(20 + i * 7, 1 + i % 3, 30, sinks.back())).ok());
  }
  while (engine.step()) {
  }
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(sinks[i]->tokens, alone[i]) << "request " << i;
    EXPECT_EQ(sinks[i]->finishes, 1);
  }
  EngineStats st = engine.stats();
  EXPECT_GT(st.preemptions, 0u);
  // Every finish and every preemption released the sequence's model-side state.
  EXPECT_EQ(fwd.released.size(), 8u + st.preemptions);
  EXPECT_GT(st.prefix_hit_tokens, 0u);
  EXPECT_LE(fwd.max_batch_tokens, 40);
  EXPECT_EQ(st.kv.pool.used, 0);
}

TEST(Engine, SeededSamplingIsDeterministicInABatch) {
  auto run = [](int n_others) {
    FakeForward fwd(50, 64);
    FakeVocab vocab;
    Engine engine(config(64, 512), fwd, vocab);
    auto sink = std::make_shared<CollectSink>();
    auto r = make_req(12, 5, 20, sink);
    r->params.temperature = 1.5f;
    r->params.top_k = 0;
    r->params.top_p = 1.0f;
    r->params.min_p = 0;
    r->params.seed = 42;
    for (int i = 0; i < n_others; ++i) {
      auto o = make_req(9 + i, 2, 20, std::make_shared<CollectSink>());
      o->params.temperature = 1.0f;
      EXPECT_TRUE(engine.submit(o).ok());
    }
    EXPECT_TRUE(engine.submit(r).ok());
    while (engine.step()) {
    }
    return sink->tokens;
  };
  auto alone = run(0);
  EXPECT_EQ(alone.size(), 20u);
  EXPECT_EQ(run(5), alone);
}

TEST(Engine, StopsAtEndOfGeneration) {
  FakeForward fwd(50, 64);
  fwd.eos_after = 14;  // sequence length 14 -> token 0
  FakeVocab vocab;
  Engine engine(config(64, 512), fwd, vocab);
  auto sink = std::make_shared<CollectSink>();
  ASSERT_TRUE(engine.submit(make_req(10, 3, 100, sink)).ok());
  while (engine.step()) {
  }
  EXPECT_EQ(sink->reason, FinishReason::kStop);
  EXPECT_EQ(sink->tokens.size(), 4u);  // rows at positions 9..12 sample normally, 13 gives EOS
}

TEST(Engine, StopStringTruncatesAndIsNeverStreamed) {
  auto baseline = run_alone(10, 3, 6);
  ASSERT_GE(baseline.size(), 4u);
  // Stop on the 3rd token's piece plus the start of the 4th ("tN t").
  std::string stop = "t" + std::to_string(baseline[2]) + " t";
  FakeForward fwd(50, 64);
  FakeVocab vocab;
  Engine engine(config(64, 512), fwd, vocab);
  auto sink = std::make_shared<CollectSink>();
  auto r = make_req(10, 3, 6, sink);
  r->params.stop = {stop};
  ASSERT_TRUE(engine.submit(r).ok());
  while (engine.step()) {
  }
  EXPECT_EQ(sink->reason, FinishReason::kStop);
  std::string expect = "t" + std::to_string(baseline[0]) + " t" + std::to_string(baseline[1]) + " ";
  if (baseline[0] == baseline[2] || baseline[1] == baseline[2]) GTEST_SKIP() << "ambiguous stop";
  EXPECT_EQ(sink->text, expect);
}

TEST(Engine, CancelFreesBlocksAndFinishesOnce) {
  FakeForward fwd(50, 64);
  FakeVocab vocab;
  Engine engine(config(64, 512), fwd, vocab);
  auto sink = std::make_shared<CollectSink>();
  auto r = make_req(40, 3, 100, sink);
  ASSERT_TRUE(engine.submit(r).ok());
  engine.step();
  engine.step();
  EXPECT_GT(engine.stats().kv.pool.used, 0);
  engine.cancel(r);
  engine.step();
  EXPECT_EQ(sink->reason, FinishReason::kCancelled);
  EXPECT_EQ(sink->finishes, 1);
  EXPECT_EQ(engine.stats().kv.pool.used, 0);
  EXPECT_FALSE(engine.step());
}

TEST(Engine, RejectsEmptyTooLongAndQueueFull) {
  FakeForward fwd(50, 64);
  FakeVocab vocab;
  EngineConfig c = config(64, 512);
  c.max_waiting = 2;
  Engine engine(c, fwd, vocab);
  Status empty = engine.submit(make_req(0, 1, 5, nullptr));
  EXPECT_EQ(empty.code(), StatusCode::kInvalidArgument);
  Status too_long = engine.submit(make_req(600, 1, 5, nullptr));
  EXPECT_EQ(too_long.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(too_long.message().find("600"), std::string::npos);
  EXPECT_NE(too_long.message().find("512"), std::string::npos);
  EXPECT_TRUE(engine.submit(make_req(5, 1, 5, nullptr)).ok());
  EXPECT_TRUE(engine.submit(make_req(5, 1, 5, nullptr)).ok());
  EXPECT_EQ(engine.submit(make_req(5, 1, 5, nullptr)).code(), StatusCode::kResourceExhausted);
}

TEST(Engine, ForwardErrorFinishesItsRequestsWithError) {
  FakeForward fwd(50, 64);
  FakeVocab vocab;
  Engine engine(config(64, 512), fwd, vocab);
  auto sink = std::make_shared<CollectSink>();
  ASSERT_TRUE(engine.submit(make_req(10, 3, 5, sink)).ok());
  fwd.fail_next = true;
  engine.step();
  EXPECT_EQ(sink->reason, FinishReason::kError);
  EXPECT_EQ(sink->error.message(), "injected failure");
  EXPECT_EQ(engine.stats().kv.pool.used, 0);
}

TEST(Engine, ThreadedRunAndStop) {
  FakeForward fwd(50, 64);
  FakeVocab vocab;
  Engine engine(config(64, 512), fwd, vocab);
  engine.start();
  std::vector<std::shared_ptr<CollectSink>> sinks;
  for (int i = 0; i < 4; ++i) {
    sinks.push_back(std::make_shared<CollectSink>());
    ASSERT_TRUE(engine.submit(make_req(10, 3, 1000000, sinks.back())).ok());
  }
  engine.stop();  // in-flight requests end as cancelled, exactly once
  for (auto& s : sinks) EXPECT_EQ(s->finishes, 1);
}

TEST(Sampler, GreedyTopKAndBias) {
  Request r;
  r.prompt = {1};
  std::vector<float> logits{0.f, 3.f, 1.f, 2.f};
  r.params.temperature = 0;
  EXPECT_EQ(*sample_token(logits.data(), 4, r), 1);
  r.params.logit_bias[2] = 5.f;
  EXPECT_EQ(*sample_token(logits.data(), 4, r), 2);
  r.params.logit_bias.clear();
  r.params.temperature = 1;
  r.params.top_k = 1;
  r.rng_state = 3;
  for (int i = 0; i < 20; ++i) EXPECT_EQ(*sample_token(logits.data(), 4, r), 1);
  r.params.top_k = 0;
  r.params.top_p = 1;
  r.params.min_p = 0;
  int counts[4] = {};
  for (int i = 0; i < 2000; ++i) ++counts[*sample_token(logits.data(), 4, r)];
  EXPECT_GT(counts[1], counts[3]);
  EXPECT_GT(counts[3], counts[2]);
  EXPECT_GT(counts[0], 0);
}

// The greedy fast path (argmax over the raw row) picks what the general path picks: the largest
// logit, the lowest id on ties, with penalties still applied on the general path.
TEST(Sampler, GreedyFastPathMatchesGeneralPath) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> level(0, 40);  // coarse values: many ties
  for (int n_vocab : {1, 7, 32, 1000, 32000}) {
    for (int trial = 0; trial < 5; ++trial) {
      std::vector<float> logits(static_cast<size_t>(n_vocab));  // (n_vocab)
      for (float& l : logits) l = 0.25f * static_cast<float>(level(rng));
      Request fast, general;
      fast.prompt = general.prompt = {1};
      fast.params.temperature = general.params.temperature = 0;
      general.params.logit_bias[0] = 0.0f;  // a no-op bias forces the candidate path
      const int32_t a = *sample_token(logits.data(), n_vocab, fast);
      EXPECT_EQ(a, *sample_token(logits.data(), n_vocab, general)) << n_vocab;
      const float best = *std::max_element(logits.begin(), logits.end());
      EXPECT_EQ(a, std::find(logits.begin(), logits.end(), best) - logits.begin());
    }
  }
  Request r;
  r.prompt = {1};
  r.params.temperature = 0;
  std::vector<float> logits{1.f, 4.f, 4.f, 2.f};
  EXPECT_EQ(*sample_token(logits.data(), 4, r), 1);  // tie: lowest id
  r.prompt = {1, 1};
  r.params.repeat_penalty = 2.0f;  // 4 -> 2 for the repeated token 1: token 2 wins
  EXPECT_EQ(*sample_token(logits.data(), 4, r), 2);
}

}  // namespace
}  // namespace hearth::engine
