// The engine over the real model (ModelForward: one batched forward pass per step over the paged
// KV store) on brown-6m-Q8_0: a request gives the same tokens alone as inside a busy batch of
// other requests (chunked prefill, prefix-cache hits, copy-on-write, preemption), greedy and with
// a seeded sampler, and the same tokens as a plain Session generating greedily.
#include "engine/model_forward.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <random>

#include "engine/engine.h"
#include "fake_forward.h"
#include "kernels/kernels.h"
#include "test_util.h"

namespace hearth::engine {
namespace {

using testing::CollectSink;
using testing::FakeVocab;

struct Spec {
  std::vector<int32_t> prompt;
  int max_tokens = 16;
  float temperature = 0;
  int64_t seed = -1;
};

std::shared_ptr<Request> make_req(const Spec& s, std::shared_ptr<CollectSink> sink) {
  auto r = std::make_shared<Request>();
  r->prompt = s.prompt;
  r->params.temperature = s.temperature;
  r->params.top_k = 40;
  r->params.seed = s.seed;
  r->params.max_tokens = s.max_tokens;
  r->params.ignore_eos = true;
  r->sink = std::move(sink);
  return r;
}

class ModelForwardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::testdata_dir().empty()) GTEST_SKIP() << "no ../shared/testdata";
    auto m = model::Model::load(testing::testdata_path("models/brown-6m-Q8_0.gguf"));
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    model_ = std::move(m).value();
  }

  // Runs `specs` through one engine, all submitted together (or each after the previous one
  // finished: one_by_one); returns each request's tokens.
  std::vector<std::vector<int32_t>> run(const std::vector<Spec>& specs, int n_blocks, int budget,
                                        EngineStats* stats = nullptr, bool one_by_one = false) {
    EngineConfig ec;
    ec.n_blocks = n_blocks;
    ec.sched.max_tokens_per_step = budget;
    ec.sched.max_model_len = 128;
    ThreadPool pool(2);
    ModelForward fwd(*model_, pool, n_blocks);
    FakeVocab vocab;
    Engine engine(ec, fwd, vocab);
    std::vector<std::shared_ptr<CollectSink>> sinks;
    for (const Spec& s : specs) {
      sinks.push_back(std::make_shared<CollectSink>());
      EXPECT_TRUE(engine.submit(make_req(s, sinks.back())).ok());
      while (one_by_one && engine.step()) {
      }
    }
    while (engine.step()) {
    }
    std::vector<std::vector<int32_t>> out;
    for (const auto& s : sinks) {
      EXPECT_EQ(s->finishes, 1);
      EXPECT_TRUE(s->error.ok()) << s->error.to_string();
      out.push_back(s->tokens);
    }
    if (stats != nullptr) *stats = engine.stats();
    EXPECT_EQ(engine.stats().kv.pool.used, 0);
    return out;
  }

  void expect_same_alone_and_busy(float temperature);

  std::unique_ptr<model::Model> model_;
};

std::vector<int32_t> random_tokens(std::mt19937& rng, int n, int n_vocab) {
  std::vector<int32_t> t;
  for (int i = 0; i < n; ++i) t.push_back(static_cast<int32_t>(1 + rng() % (n_vocab - 1)));
  return t;
}

TEST_F(ModelForwardTest, GreedyMatchesASession) {
  std::mt19937 rng(3);
  Spec s{random_tokens(rng, 21, static_cast<int>(model_->config().n_vocab)), 12};
  std::vector<int32_t> want;
  ThreadPool pool(1);
  model::Session session(*model_, pool, 64);
  ASSERT_TRUE(session.eval(s.prompt).ok());
  for (int i = 0; i < s.max_tokens; ++i) {
    std::span<const float> l = session.last_logits();
    const int32_t t = static_cast<int32_t>(std::max_element(l.begin(), l.end()) - l.begin());
    want.push_back(t);
    ASSERT_TRUE(session.eval(std::span<const int32_t>(&t, 1)).ok());
  }
  EXPECT_EQ(run({s}, 16, 64)[0], want);
}

// The request alone, then inside a busy batch of seven others: some share its 40-token "system
// prompt" (prefix hits, shared blocks), different lengths, a small token budget (chunked prefill)
// and a KV store too small for all of them at once (preemption); then after another request with
// the same system prompt (a prefix-cache hit).
void ModelForwardTest::expect_same_alone_and_busy(float temperature) {
  const int nv = static_cast<int>(model_->config().n_vocab);
  std::mt19937 rng(11);
  const std::vector<int32_t> system = random_tokens(rng, 40, nv);
  Spec target{system, 12, temperature, 1234};
  const std::vector<int32_t> own = random_tokens(rng, 9, nv);
  target.prompt.insert(target.prompt.end(), own.begin(), own.end());
  const std::vector<int32_t> alone = run({target}, 64, 256)[0];
  ASSERT_EQ(alone.size(), 12u);

  std::vector<Spec> busy;
  for (int i = 0; i < 7; ++i) {
    Spec o{i % 2 == 0 ? system : std::vector<int32_t>{}, 8 + 2 * i, 0.7f, 100 + i};
    const std::vector<int32_t> tail = random_tokens(rng, 5 + 8 * i, nv);
    o.prompt.insert(o.prompt.end(), tail.begin(), tail.end());
    busy.push_back(o);
  }
  busy.insert(busy.begin() + 3, target);
  EngineStats st;
  EXPECT_EQ(run(busy, 14, 48, &st)[3], alone);
  EXPECT_GT(st.prefix_hit_tokens, 0u);
  EXPECT_GT(st.preemptions, 0u);
  EXPECT_EQ(run({busy[0], target}, 64, 256, &st, true)[1], alone);
  EXPECT_GE(st.prefix_hit_tokens, 32u);
}

TEST_F(ModelForwardTest, GreedySameTextAloneAndInsideABusyBatch) {
  expect_same_alone_and_busy(0.0f);
}

// Seeded sampling needs bit-identical logits, i.e. a matmul whose rows do not depend on the
// other rows of the call (tests/kernels/matmul_test.cpp checks that per ISA); this runs on the
// default ISA and checks everything above the kernels too (batch layout, paged attention,
// copy-on-write, preemption, per-request RNG).
TEST_F(ModelForwardTest, SeededSameTextAloneAndInsideABusyBatch) {
  expect_same_alone_and_busy(0.9f);
}

}  // namespace
}  // namespace hearth::engine
