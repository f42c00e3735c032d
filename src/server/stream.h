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

// One event for the HTTP thread.
struct StreamEvent {
  std::string text;
  bool finished = false;
  engine::FinishReason reason = engine::FinishReason::kNone;
  Status error;
};

// Final numbers of a request, captured on the engine thread at finish.
struct RequestTotals {
  int prompt_tokens = 0, completion_tokens = 0, prefix_hit = 0;
  int64_t prompt_ns = 0, eval_ns = 0, total_ns = 0;
};

class ChannelSink : public engine::StreamSink {
 public:
  explicit ChannelSink(Metrics& m) : metrics_(m) {}
  void on_token(const engine::Request& req, int32_t token, const std::string& text) override;
  void on_finish(const engine::Request& req, engine::FinishReason r, const Status& e) override;
  // Moves queued events into `out`; waits up to `timeout` when there are none.
  void pop(std::deque<StreamEvent>* out, std::chrono::milliseconds timeout);
  RequestTotals totals() {
    std::lock_guard<std::mutex> lock(mu_);
    return totals_;
  }

 private:
  Metrics& metrics_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<StreamEvent> events_;
  RequestTotals totals_;
  engine::Clock::time_point last_token_{};
};

// OpenAI error object; Ollama error {"error": "..."}.
void openai_error(httplib::Response& res, int status, const std::string& message,
                  const std::string& param = "");
void ollama_error(httplib::Response& res, int status, const std::string& message);
// HTTP status for a submit() failure.
int status_http_code(const Status& s);

// Parses a JSON body; on failure writes a 400 naming the problem and returns false.
bool parse_body(const httplib::Request& req, json* out, std::string* error);

// Collects a non-streaming request's full text (blocks the HTTP thread until it finishes).
StreamEvent wait_all(ChannelSink& sink, std::string* text);

std::string iso8601_now();
int64_t unix_now();
std::string random_id(const std::string& prefix);

}  // namespace hearth::server

namespace hearth::server {

// A submitted request and the sink its events arrive on.
struct Submitted {
  std::shared_ptr<engine::Request> req;
  std::shared_ptr<ChannelSink> sink;
  std::shared_ptr<void> in_flight;  // counts the request in Server::in_flight() while alive
};

// Tokenizes `prompt`, checks it against the context, submits it. On failure writes the error
// (OpenAI or Ollama shape; 503 + Retry-After when the queue is full) and returns false.
bool submit_prompt(Server& server, const std::string& prompt, bool add_special,
                   const engine::SamplingParams& params, bool ollama, httplib::Response& res,
                   Submitted* out);

// Turns events into wire frames (SSE or NDJSON).
class StreamFormatter {
 public:
  virtual ~StreamFormatter() = default;
  virtual std::string start() { return ""; }
  virtual std::string chunk(const std::string& text) = 0;
  virtual std::string finish(const StreamEvent& ev, const RequestTotals& totals) = 0;
};

// Streams the request's events with chunked transfer encoding; a client that goes away cancels
// the request (its blocks are freed on the next engine step).
void stream_events(Server& server, httplib::Response& res, Submitted sub,
                   std::shared_ptr<StreamFormatter> fmt, const char* content_type);

}  // namespace hearth::server
