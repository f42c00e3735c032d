#include "engine/scheduler.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "engine/batch.h"

namespace hearth::engine {
namespace {

struct Fixture {
  Fixture(int n_blocks, SchedulerConfig cfg) : kv(n_blocks), sched(cfg, kv) {}
  Request* make(int prompt_len, int32_t first = 1) {
    auto r = std::make_unique<Request>();
    r->id = next_id++;
    for (int i = 0; i < prompt_len; ++i) r->prompt.push_back(first + i);
    reqs.push_back(std::move(r));
    sched.add(reqs.back().get());
    return reqs.back().get();
  }
  // Pretends the forward pass ran: completes the step and appends a token to sampled requests.
  void run(const StepPlan& plan) {
    sched.complete_step(plan);
    for (const auto& s : plan.seqs)
      if (s.sample) s.req->output.push_back(7);
  }
  kv::KVCacheManager kv;
  Scheduler sched;
  std::vector<std::unique_ptr<Request>> reqs;
  RequestId next_id = 1;
};

constexpr int B = kv::kBlockSize;  // tokens per KV block

SchedulerConfig cfg(int budget, int max_seqs = 64) {
  SchedulerConfig c;
  c.max_tokens_per_step = budget;
  c.max_num_seqs = max_seqs;
  c.max_model_len = 4096;
  return c;
}

TEST(Scheduler, ChunkedPrefillRespectsBudget) {
  Fixture f(64, cfg(32));
  Request* r = f.make(70);
  StepPlan p1 = f.sched.schedule();
  ASSERT_EQ(p1.seqs.size(), 1u);
  EXPECT_EQ(p1.seqs[0].begin, 0);
  EXPECT_EQ(p1.seqs[0].end, 32);
  EXPECT_FALSE(p1.seqs[0].sample);
  f.run(p1);
  StepPlan p2 = f.sched.schedule();
  EXPECT_EQ(p2.seqs[0].begin, 32);
  EXPECT_EQ(p2.seqs[0].end, 64);
  f.run(p2);
  StepPlan p3 = f.sched.schedule();
  EXPECT_EQ(p3.seqs[0].end, 70);
  EXPECT_TRUE(p3.seqs[0].sample);
  f.run(p3);
  StepPlan p4 = f.sched.schedule();  // decode
  EXPECT_EQ(p4.seqs[0].begin, 70);
  EXPECT_EQ(p4.seqs[0].end, 71);
  EXPECT_EQ(r->num_computed, 71);
}

TEST(Scheduler, NoChunkingWaitsForRoomInBudget) {
  SchedulerConfig c = cfg(32);
  c.chunked_prefill = false;
  Fixture f(64, c);
  f.make(40);
  EXPECT_TRUE(f.sched.schedule().empty());
  EXPECT_EQ(f.sched.num_waiting(), 1u);
}

TEST(Scheduler, DecodesGoBeforePrefills) {
  Fixture f(64, cfg(20));
  Request* a = f.make(10);
  f.run(f.sched.schedule());  // a prefilled, sampled
  Request* b = f.make(30, 500);  // no prefix shared with a
  Request* c = f.make(5, 900);
  StepPlan p = f.sched.schedule();
  ASSERT_EQ(p.seqs.size(), 2u);
  EXPECT_EQ(p.seqs[0].req, a);  // decode first
  EXPECT_EQ(p.seqs[0].end - p.seqs[0].begin, 1);
  EXPECT_EQ(p.seqs[1].req, b);  // then a chunk of b: 19 tokens, budget exhausted
  EXPECT_EQ(p.seqs[1].end, 19);
  EXPECT_EQ(p.num_tokens, 20);
  EXPECT_EQ(c->state, RequestState::kWaiting);
  f.run(p);
  // Next step: a decodes, b (running, mid-prefill) continues before c is admitted.
  StepPlan q = f.sched.schedule();
  ASSERT_GE(q.seqs.size(), 2u);
  EXPECT_EQ(q.seqs[0].req, a);
  EXPECT_EQ(q.seqs[1].req, b);
  EXPECT_EQ(q.seqs[1].begin, 19);
}

TEST(Scheduler, MaxNumSeqsLimitsAdmission) {
  Fixture f(64, cfg(512, 2));
  f.make(4);
  f.make(4);
  f.make(4);
  StepPlan p = f.sched.schedule();
  EXPECT_EQ(p.seqs.size(), 2u);
  EXPECT_EQ(f.sched.num_waiting(), 1u);
}

TEST(Scheduler, AdmissionStopsWhenBlocksRunOut) {
  Fixture f(4, cfg(512));
  f.make(2 * B + B / 2);  // 3 blocks
  f.make(B + 4);          // 2 blocks: does not fit
  StepPlan p = f.sched.schedule();
  EXPECT_EQ(p.seqs.size(), 1u);
  EXPECT_EQ(f.sched.num_waiting(), 1u);
  EXPECT_TRUE(p.preempted.empty());
}

TEST(Scheduler, PreemptsNewestWhenDecodeNeedsABlock) {
  Fixture f(4, cfg(512));
  Request* a = f.make(2 * B);  // 2 blocks exactly
  Request* b = f.make(2 * B);  // 2 blocks exactly
  f.run(f.sched.schedule());   // both prefilled, each sampled a token: 2B + 1 tokens, 3 blocks
  StepPlan p = f.sched.schedule();
  ASSERT_EQ(p.preempted.size(), 1u);
  EXPECT_EQ(p.preempted[0], b);  // newest goes
  ASSERT_EQ(p.seqs.size(), 1u);
  EXPECT_EQ(p.seqs[0].req, a);
  EXPECT_EQ(b->num_computed, 0);
  EXPECT_EQ(b->num_preemptions, 1);
  EXPECT_EQ(b->state, RequestState::kWaiting);
  EXPECT_FALSE(f.kv.has(b->id));
  EXPECT_EQ(f.sched.total_preemptions(), 1u);
  f.run(p);
  // Once a finishes, b is recomputed: prompt + its generated token, via the prefix cache.
  f.sched.remove(a);
  StepPlan q = f.sched.schedule();
  ASSERT_EQ(q.seqs.size(), 1u);
  EXPECT_EQ(q.seqs[0].req, b);
  EXPECT_EQ(q.seqs[0].end, 2 * B + 1);
  EXPECT_EQ(q.seqs[0].begin, 2 * B);  // its two full blocks were cached when computed
  EXPECT_TRUE(q.seqs[0].sample);
}

TEST(Scheduler, PreemptsItselfWhenAlone) {
  Fixture f(2, cfg(512));
  Request* a = f.make(2 * B);
  f.run(f.sched.schedule());
  StepPlan p = f.sched.schedule();  // needs a third block that does not exist
  EXPECT_TRUE(p.seqs.empty());
  ASSERT_EQ(p.preempted.size(), 1u);
  EXPECT_EQ(p.preempted[0], a);
  // Next time it is rejected: 2B + 1 tokens can never fit in 2 blocks.
  StepPlan q = f.sched.schedule();
  ASSERT_EQ(q.rejected.size(), 1u);
  EXPECT_EQ(q.rejected[0], a);
}

TEST(Scheduler, PrefixHitCountsAsComputed) {
  Fixture f(64, cfg(512));
  Request* a = f.make(3 * B + 2, 100);
  f.run(f.sched.schedule());
  Request* b = f.make(3 * B + 2, 100);  // same prompt
  StepPlan p = f.sched.schedule();
  const ScheduledSeq* sb = nullptr;
  for (const auto& s : p.seqs)
    if (s.req == b) sb = &s;
  ASSERT_NE(sb, nullptr);
  EXPECT_EQ(sb->begin, 3 * B);  // 3 full blocks shared
  EXPECT_EQ(b->num_prefix_hit, 3 * B);
  EXPECT_EQ(f.kv.block_table(b->id)[0], f.kv.block_table(a->id)[0]);
  EXPECT_EQ(f.sched.prefix_hit_tokens(), static_cast<uint64_t>(3 * B));
  // A whole-prompt hit still computes the last token (its block is recomputed).
  Request* c = f.make(3 * B, 100);
  StepPlan q = f.sched.schedule();
  for (const auto& s : q.seqs)
    if (s.req == c) {
      EXPECT_EQ(s.begin, 2 * B);
      EXPECT_EQ(s.end, 3 * B);
    }
}

TEST(Scheduler, RejectsRequestLongerThanContext) {
  SchedulerConfig c = cfg(512);
  c.max_model_len = 16;
  Fixture f(64, c);
  Request* r = f.make(20);
  StepPlan p = f.sched.schedule();
  ASSERT_EQ(p.rejected.size(), 1u);
  EXPECT_EQ(p.rejected[0], r);
}

TEST(Batch, FlattensPlan) {
  Fixture f(64, cfg(512));
  Request* a = f.make(3, 10);
  Request* b = f.make(2, 20);
  StepPlan p = f.sched.schedule();
  Batch batch = build_batch(p, f.kv);
  ASSERT_EQ(batch.n_tokens(), 5);
  EXPECT_EQ(batch.tokens, (std::vector<int32_t>{10, 11, 12, 20, 21}));
  EXPECT_EQ(batch.positions, (std::vector<int32_t>{0, 1, 2, 0, 1}));
  EXPECT_EQ(batch.seq_index, (std::vector<int32_t>{0, 0, 0, 1, 1}));
  EXPECT_EQ(batch.logit_rows, (std::vector<int32_t>{2, 4}));
  EXPECT_EQ(batch.slots[1], f.kv.block_table(a->id)[0] * kv::kBlockSize + 1);
  EXPECT_EQ(batch.slots[4], f.kv.block_table(b->id)[0] * kv::kBlockSize + 1);
  EXPECT_EQ(batch.seqs[1].end, 2);
}

// Random load: requests arrive, generate, get cancelled; budget and block accounting hold at
// every step and nothing leaks.
TEST(Scheduler, RandomLoadKeepsInvariants) {
  Fixture f(320 / B, cfg(64, 16));  // 320 tokens of KV
  std::mt19937 rng(99);
  int made = 0;
  for (int step = 0; step < 3000 && (made < 300 || f.sched.num_running() + f.sched.num_waiting());
       ++step) {
    if (made < 300 && rng() % 3 == 0) {
      f.make(1 + static_cast<int>(rng() % 100), static_cast<int32_t>(rng() % 4) * 1000);
      ++made;
    }
    StepPlan p = f.sched.schedule();
    ASSERT_LE(p.num_tokens, 64);
    for (Request* r : p.rejected) (void)r;
    f.run(p);
    for (auto& r : f.reqs) {
      if (r->state != RequestState::kRunning) continue;
      if (r->output.size() >= 40 || rng() % 80 == 0) f.sched.remove(r.get());
    }
    ASSERT_TRUE(f.kv.pool().check_invariants());
  }
  EXPECT_EQ(f.sched.num_running() + f.sched.num_waiting(), 0u);
  EXPECT_EQ(f.kv.stats().pool.used, 0);
  EXPECT_GT(f.sched.total_preemptions(), 0u);
}

}  // namespace
}  // namespace hearth::engine
