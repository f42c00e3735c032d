// Scheduler: pure bookkeeping, no model. Each step it hands out a token budget:
//   1. running requests that decode (one token short of their sequence) first,
//   2. then running requests with an unfinished (chunked) prefill,
//   3. then waiting requests, admitted in arrival order while the budget, the sequence limit and
//      the free KV blocks allow; a prefix-cache hit counts as already computed tokens.
// When a running request cannot get a block, the newest running request is preempted (its blocks
// freed, num_computed reset: it is recomputed later) until the allocation fits.
// The result is a plain StepPlan. After the forward pass, complete_step() registers the newly
// written full blocks in the prefix cache.
#pragma once

#include <deque>
#include <vector>

#include "engine/request.h"
#include "kv/kv_cache_manager.h"

namespace hearth::engine {

struct SchedulerConfig {
  int max_num_seqs = 64;          // running requests at most
  int max_tokens_per_step = 512;  // token budget per step
  int max_model_len = 2048;       // context length per sequence
  bool chunked_prefill = true;    // split long prompts across steps
};

struct ScheduledSeq {
  Request* req = nullptr;
  int begin = 0;        // first token position to compute
  int end = 0;          // one past the last
  bool sample = false;  // end reaches the sequence's last token: sample the next one
};

struct StepPlan {
  std::vector<ScheduledSeq> seqs;     // decodes first, then prefills
  std::vector<Request*> preempted;    // requests sent back to waiting this step
  std::vector<Request*> rejected;     // requests that can never fit (finish with an error)
  std::vector<kv::BlockCopy> copies;  // copy-on-write block copies to do before the forward
  int num_tokens = 0;
  bool empty() const { return seqs.empty(); }
};

class Scheduler {
 public:
  Scheduler(const SchedulerConfig& config, kv::KVCacheManager& kv);

  void add(Request* req);  // joins the back of the waiting queue
  StepPlan schedule();
  // Marks the plan's tokens computed (num_computed was advanced in schedule()) and caches blocks.
  void complete_step(const StepPlan& plan);
  // Removes a request (finished or cancelled) from the queues and frees its blocks.
  void remove(Request* req);

  size_t num_running() const { return running_.size(); }
  size_t num_waiting() const { return waiting_.size(); }
  const SchedulerConfig& config() const { return config_; }
  uint64_t total_preemptions() const { return preemptions_; }
  uint64_t prefix_hit_tokens() const { return prefix_hit_tokens_; }

 private:
  bool schedule_running(Request* req, int* budget, StepPlan* plan);
  void preempt(Request* req, StepPlan* plan);
  bool admit(Request* req, int* budget, StepPlan* plan);

  SchedulerConfig config_;
  kv::KVCacheManager& kv_;
  std::vector<Request*> running_;  // admission order (oldest first)
  std::deque<Request*> waiting_;
  uint64_t preemptions_ = 0, prefix_hit_tokens_ = 0;
};

}  // namespace hearth::engine
