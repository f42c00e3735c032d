// Engine: owns the scheduler, the KV bookkeeping and the loop
//   schedule -> build_batch -> BatchForward::forward -> sample -> append, stop checks ->
//   StreamSink.
// submit()/cancel() are thread-safe (HTTP threads); everything else runs on the engine thread
// (start()) or on the caller of step() in tests.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine/batch.h"
#include "engine/request.h"
#include "engine/scheduler.h"
#include "kv/kv_cache_manager.h"

namespace hearth::engine {

// What the engine needs from a vocabulary: a token's text bytes and end-of-generation tokens.
class Vocab {
 public:
  virtual ~Vocab() = default;
  virtual std::string token_piece(int32_t token) const = 0;
  virtual bool is_eog(int32_t token) const = 0;
};

struct EngineConfig {
  SchedulerConfig sched;
  int n_blocks = 1024;  // KV blocks of kv::kBlockSize tokens
  bool prefix_cache = true;
  int max_waiting = 256;  // submit() fails with kResourceExhausted beyond this
};

struct EngineStats {
  int running = 0, waiting = 0;
  kv::CacheStats kv;
  uint64_t steps = 0, prompt_tokens = 0, generated_tokens = 0, preemptions = 0,
           prefix_hit_tokens = 0, requests_finished = 0;
  // Time of the steps that ran a forward pass: whole step (cancellations, schedule, batch build,
  // forward, sampling, stop checks, sinks) and the forward call alone; their difference is the
  // engine's own overhead.
  double step_seconds = 0, forward_seconds = 0;
  // CPU time the engine thread spent in those steps outside the forward call (wall time above
  // also counts waiting for a core on a loaded machine; this does not).
  double overhead_cpu_seconds = 0;
};

// Samples one token from logits (n_vocab) with the request's parameters and RNG (sampler.cpp).
// With req.grammar set, only tokens the grammar allows are candidates and the grammar advances
// over the chosen token; fails when the grammar allows nothing (a dead end) or is too ambiguous.
Result<int32_t> sample_token(const float* logits, int n_vocab, Request& req);
uint64_t seed_rng(int64_t seed);  // seed < 0: a random seed
// log softmax(logits)[token] and the n_top most likely tokens with theirs (best first).
TokenLogprob token_logprobs(const float* logits, int n_vocab, int32_t token, int n_top);

class Engine {
 public:
  Engine(const EngineConfig& config, BatchForward& forward, const Vocab& vocab);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues a request (prompt, params, sink set; id is assigned). Fails with kInvalidArgument when
  // the prompt is empty or longer than the context, kResourceExhausted when the queue is full.
  Status submit(const std::shared_ptr<Request>& req);
  void cancel(const std::shared_ptr<Request>& req);

  // One scheduling step on the calling thread; returns false when there was nothing to do.
  bool step();
  void start();  // runs step() on an engine thread until stop()
  void stop();   // finishes every live request as cancelled and joins the thread

  EngineStats stats() const;
  const EngineConfig& config() const { return config_; }

 private:
  void drain_inbox();
  void finish(Request* req, FinishReason reason, const Status& error = Status::Ok());
  void on_sampled(Request* req, int32_t token);
  std::string take_text(Request* req, bool final_flush);
  void update_stats();

  EngineConfig config_;
  BatchForward& forward_;
  const Vocab& vocab_;
  kv::KVCacheManager kv_;
  Scheduler scheduler_;
  std::unordered_map<RequestId, std::shared_ptr<Request>> live_;  // engine thread only
  std::vector<float> logits_;                                     // (n_logits, n_vocab)

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<Request>> inbox_;
  bool wake_ = false, stopping_ = false;
  RequestId next_id_ = 1;
  int num_queued_ = 0;    // waiting in the scheduler (updated by the engine thread) + inbox
  EngineStats stats_;     // published snapshot, guarded by mu_
  EngineStats counters_;  // engine thread only; copied into stats_ by update_stats()
  std::thread thread_;
};

}  // namespace hearth::engine
