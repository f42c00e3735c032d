// Pieces shared by the route files: the StreamSink that hands engine events to an HTTP thread,
// metrics, JSON helpers and error replies.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/engine.h"
#include "server/server.h"

namespace hearth::server {

using json = nlohmann::json;

// Serializes without throwing on invalid UTF-8 (a model may emit half a character).
inline std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

struct Histogram {
  std::vector<double> bounds;    // upper bounds (seconds)
  std::vector<uint64_t> counts;  // (bounds.size() + 1) last = +Inf
  double sum = 0;
  uint64_t n = 0;
  explicit Histogram(std::vector<double> b) : bounds(std::move(b)), counts(bounds.size() + 1) {}
  void observe(double v);
  void render(std::string& out, const std::string& name, const std::string& help) const;
};

struct Metrics {
  std::mutex mu;
  uint64_t requests_total = 0, requests_failed = 0, prompt_tokens = 0, generated_tokens = 0;
  Histogram ttft{{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}};
  Histogram itl{{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}};
  Histogram e2e{{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120}};
  std::string render(const engine::EngineStats& s);
};

// One event for the HTTP thread, from choice `index` of a request.
struct StreamEvent {
  std::string text;
  bool finished = false;
  engine::FinishReason reason = engine::FinishReason::kNone;
  Status error;
  int index = 0;
  std::vector<engine::TokenLogprob> logprobs;  // of the tokens behind `text` (logprobs asked)
};

// Final numbers of a request, captured on the engine thread at finish.
struct RequestTotals {
  int prompt_tokens = 0, completion_tokens = 0, prefix_hit = 0;
  int64_t prompt_ns = 0, eval_ns = 0, total_ns = 0;
};

// The queue the engine thread fills and one HTTP thread drains (shared by a request's n choices).
class Channel {
 public:
  void push(StreamEvent ev);
  // Moves queued events into `out`; waits up to `timeout` when there are none.
  void pop(std::deque<StreamEvent>* out, std::chrono::milliseconds timeout);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<StreamEvent> events_;
};

class ChannelSink : public engine::StreamSink {
 public:
  ChannelSink(Metrics& m, std::shared_ptr<Channel> channel, int index)
      : metrics_(m), channel_(std::move(channel)), index_(index) {}
  void on_token(const engine::Request& req, int32_t token, const std::string& text) override;
  void on_finish(const engine::Request& req, engine::FinishReason r, const Status& e) override;
  RequestTotals totals() {
    std::lock_guard<std::mutex> lock(mu_);
    return totals_;
  }

 private:
  Metrics& metrics_;
  std::shared_ptr<Channel> channel_;
  int index_;
  std::mutex mu_;
  RequestTotals totals_;
  engine::Clock::time_point last_token_{};
  std::vector<engine::TokenLogprob> pending_;  // engine thread only: not yet sent with text
};

// OpenAI error object; Ollama error {"error": "..."}.
void openai_error(httplib::Response& res, int status, const std::string& message,
                  const std::string& param = "");
void ollama_error(httplib::Response& res, int status, const std::string& message);
// HTTP status for a submit() failure.
int status_http_code(const Status& s);

// Parses a JSON body; on failure writes a 400 naming the problem and returns false.
bool parse_body(const httplib::Request& req, json* out, std::string* error);

std::string iso8601_now();
int64_t unix_now();
std::string random_id(const std::string& prefix);

}  // namespace hearth::server

namespace hearth::server {

// A submitted request: n choices (one engine::Request each) reporting on one channel.
struct Submitted {
  std::vector<std::shared_ptr<engine::Request>> reqs;  // (n)
  std::vector<std::shared_ptr<ChannelSink>> sinks;     // (n)
  std::shared_ptr<Channel> channel;
  std::shared_ptr<void> in_flight;  // counts the request in Server::in_flight() while alive
  RequestTotals totals() const;     // summed over the choices (the prompt counted once)
};

// Tokenizes `prompt`, checks it against the context, submits `n` choices (seed, seed + 1, ...
// when seeded). On failure writes the error (OpenAI or Ollama shape; 503 + Retry-After when the
// queue is full), cancels what was submitted and returns false.
bool submit_prompt(Server& server, const std::string& prompt, bool add_special,
                   const engine::SamplingParams& params, int n, bool ollama, httplib::Response& res,
                   Submitted* out);

// The whole output of one choice (non-streaming).
struct ChoiceResult {
  std::string text;
  StreamEvent final;  // the finish event
  std::vector<engine::TokenLogprob> logprobs;
};
// Blocks the HTTP thread until every choice finished.
std::vector<ChoiceResult> wait_all(Submitted& sub);

// Turns events into wire frames (SSE or NDJSON).
class StreamFormatter {
 public:
  virtual ~StreamFormatter() = default;
  virtual std::string start(int /*n_choices*/) { return ""; }
  virtual std::string chunk(const StreamEvent& ev) = 0;
  // Choice ev.index finished (an error ends the whole stream: end() is not called then).
  virtual std::string finish(const StreamEvent& ev, const RequestTotals& choice_totals) = 0;
  // Every choice finished; `totals` summed over them.
  virtual std::string end(const RequestTotals& /*totals*/) { return ""; }
};

// Streams the request's events with chunked transfer encoding; a client that goes away cancels
// the request (its blocks are freed on the next engine step).
void stream_events(Server& server, httplib::Response& res, Submitted sub,
                   std::shared_ptr<StreamFormatter> fmt, const char* content_type);

}  // namespace hearth::server
