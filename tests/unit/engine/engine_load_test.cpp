// The engine under random load: 1,000 requests arrive at random steps, sharing prompt starts
// (prefix-cache hits), in a KV cache too small for all of them (preemption), and a random share
// is cancelled while waiting, in prefill or while decoding. Every request must finish exactly
// once, every uncancelled one must give exactly the tokens it gives alone, a cancelled one a
// prefix of them, and at the end no KV block may be held.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <random>

#include "engine/engine.h"
#include "fake_forward.h"

namespace hearth::engine {
namespace {

using testing::CollectSink;
using testing::FakeForward;
using testing::FakeVocab;
using testing::make_req;

constexpr int kMaxNew = 24;  // tokens generated per request at most

EngineConfig config(int n_blocks, int budget, int max_seqs) {
  EngineConfig c;
  c.n_blocks = n_blocks;
  c.sched.max_tokens_per_step = budget;
  c.sched.max_num_seqs = max_seqs;
  c.sched.max_model_len = 256;
  c.max_waiting = 1 << 20;
  return c;
}

// The kMaxNew tokens a prompt gives when it runs alone in a roomy cache.
std::vector<int32_t> alone(int n, int32_t first) {
  FakeForward fwd(50, 64);
  FakeVocab vocab;
  Engine engine(config(64, 512, 64), fwd, vocab);
  auto sink = std::make_shared<CollectSink>();
  EXPECT_TRUE(engine.submit(make_req(n, first, kMaxNew, sink)).ok());
  while (engine.step()) {
  }
  return sink->tokens;
}

struct Item {
  std::shared_ptr<Request> req;
  std::shared_ptr<CollectSink> sink;
  int n = 0, first = 0, max_tokens = 0;
  bool cancelled = false;
};

TEST(EngineLoad, ThousandRandomRequestsWithCancellationsLeakNothing) {
  const int n_requests = std::getenv("HEARTH_SANITIZED") ? 300 : 1000;
  FakeForward fwd(50, 40);
  FakeVocab vocab;
  Engine engine(config(40, 48, 12), fwd, vocab);  // 320 tokens of KV for up to 12 sequences
  std::mt19937 rng(4242);
  std::vector<Item> items;
  int steps = 0;
  for (;;) {
    const bool more = static_cast<int>(items.size()) < n_requests;
    for (int k = static_cast<int>(rng() % 4); more && k > 0; --k) {
      Item it;
      it.n = 2 + static_cast<int>(rng() % 60);
      it.first = 1 + static_cast<int>(rng() % 5) * 100;  // 5 shared prompt starts
      it.max_tokens = 1 + static_cast<int>(rng() % kMaxNew);
      it.sink = std::make_shared<CollectSink>();
      it.req = make_req(it.n, it.first, it.max_tokens, it.sink);
      ASSERT_TRUE(engine.submit(it.req).ok());
      items.push_back(std::move(it));
    }
    if (!items.empty() && rng() % 3 == 0) {  // cancel a random request, maybe already finished
      Item& victim = items[rng() % items.size()];
      victim.cancelled = true;
      engine.cancel(victim.req);
    }
    const bool worked = engine.step();
    ++steps;
    ASSERT_LT(steps, 200000) << "the engine does not drain";
    if (!worked && static_cast<int>(items.size()) >= n_requests) break;
  }
  EngineStats st = engine.stats();
  EXPECT_EQ(st.kv.pool.used, 0);
  EXPECT_EQ(st.kv.n_seqs, 0);
  EXPECT_EQ(st.running + st.waiting, 0);
  EXPECT_GT(st.preemptions, 0u);
  EXPECT_GT(st.prefix_hit_tokens, 0u);
  std::map<std::pair<int, int>, std::vector<int32_t>> expected;  // (n, first) -> alone tokens
  int n_cancelled = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    ASSERT_EQ(it.sink->finishes, 1) << "request " << i;
    auto key = std::make_pair(it.n, it.first);
    if (!expected.count(key)) expected[key] = alone(it.n, it.first);
    const std::vector<int32_t>& want = expected[key];
    const std::vector<int32_t>& got = it.sink->tokens;
    if (it.sink->reason == FinishReason::kCancelled) {
      ASSERT_TRUE(it.cancelled) << "request " << i;
      ++n_cancelled;
      ASSERT_LE(got.size(), want.size());
      EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin())) << "request " << i;
    } else {
      ASSERT_EQ(it.sink->reason, FinishReason::kLength) << "request " << i;
      ASSERT_EQ(got.size(), static_cast<size_t>(it.max_tokens)) << "request " << i;
      EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin())) << "request " << i;
    }
  }
  EXPECT_GT(n_cancelled, n_requests / 10);
}

}  // namespace
}  // namespace hearth::engine
