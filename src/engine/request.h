// Request: one generation's state as the engine sees it. The token sequence is prompt + output;
// num_computed counts the tokens whose KV is in the cache (vLLM v1: no prefill/decode phases, the
// scheduler just closes the gap between num_computed and num_tokens()).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "grammar/constraint.h"

namespace hearth::engine {

using RequestId = uint64_t;
using Clock = std::chrono::steady_clock;

struct SamplingParams {
  float temperature = 0.8f;  // 0 = greedy
  int top_k = 40;            // <= 0: off
  float top_p = 0.95f;       // 1: off
  float min_p = 0.05f;       // 0: off
  float repeat_penalty = 1.0f;
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  int repeat_last_n = 64;
  int64_t seed = -1;    // -1: random
  int max_tokens = -1;  // -1: until the context is full
  std::vector<std::string> stop;
  bool ignore_eos = false;
  std::map<int32_t, float> logit_bias;
  // -1: off. >= 0: record each sampled token's log-probability and this many most likely
  // alternatives (log-softmax of the model's raw logits, before bias / penalties / temperature).
  int logprobs = -1;
};

// The log-probabilities of one sampled token (SamplingParams::logprobs >= 0).
struct TokenLogprob {
  int32_t token = -1;
  float logprob = 0;
  std::vector<std::pair<int32_t, float>> top;  // (logprobs) best first
};

enum class FinishReason { kNone, kStop, kLength, kCancelled, kError };
const char* finish_reason_name(FinishReason r);  // "stop", "length", "cancelled", "error"

enum class RequestState { kWaiting, kRunning, kFinished };

struct Request;

// Receives a request's output. Called on the engine thread: implementations must not block.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // `text` is the new text safe to show (may be empty while a stop string is pending); token is
  // -1 for text flushed when the request finishes.
  virtual void on_token(const Request& req, int32_t token, const std::string& text) = 0;
  // Called exactly once. `error` is non-OK only for FinishReason::kError.
  virtual void on_finish(const Request& req, FinishReason reason, const Status& error) = 0;
};

struct Request {
  RequestId id = 0;
  std::vector<int32_t> prompt;
  std::vector<int32_t> output;
  SamplingParams params;
  std::shared_ptr<StreamSink> sink;
  std::atomic<bool> cancel_requested{false};
  // Optional structured-output constraint (grammar::Constraint::create): sample_token masks the
  // tokens it forbids and advances it; the request stops when the grammar is complete.
  std::unique_ptr<grammar::Constraint> grammar;

  // Engine-owned state.
  RequestState state = RequestState::kWaiting;
  int num_computed = 0;    // tokens whose KV is cached
  int num_prefix_hit = 0;  // prompt tokens served by the prefix cache (last admission)
  int num_preemptions = 0;
  FinishReason finish = FinishReason::kNone;
  std::string text;           // detokenized output so far (for stop strings)
  size_t text_emitted = 0;    // bytes of `text` already sent to the sink
  uint64_t rng_state = 0;     // per-request sampler RNG (same seed -> same text in any batch)
  TokenLogprob last_logprob;  // of the latest sampled token, when params.logprobs >= 0
  Clock::time_point t_arrival = Clock::now(), t_first_token{}, t_last_token{}, t_finish{};

  int num_tokens() const { return static_cast<int>(prompt.size() + output.size()); }
  int32_t token_at(int i) const {
    return i < static_cast<int>(prompt.size()) ? prompt[static_cast<size_t>(i)]
                                               : output[static_cast<size_t>(i) - prompt.size()];
  }
  std::vector<int32_t> all_tokens() const {
    std::vector<int32_t> t = prompt;
    t.insert(t.end(), output.begin(), output.end());
    return t;
  }
};

}  // namespace hearth::engine
