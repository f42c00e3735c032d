#include "server/stream.h"

#include <ctime>
#include <random>

namespace hearth::server {

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds.size() && v > bounds[i]) ++i;
  ++counts[i];
  sum += v;
  ++n;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& help) const {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  uint64_t cum = 0;
  for (size_t i = 0; i < bounds.size(); ++i) {
    cum += counts[i];
    out += str_cat(name, "_bucket{le=\"", bounds[i], "\"} ", cum, "\n");
  }
  out += str_cat(name, "_bucket{le=\"+Inf\"} ", n, "\n", name, "_sum ", sum, "\n", name, "_count ",
                 n, "\n");
}

std::string Metrics::render(const engine::EngineStats& s) {
  std::lock_guard<std::mutex> lock(mu);
  std::string out;
  auto gauge = [&](const char* name, const char* help, double v, const char* type = "gauge") {
    out +=
        str_cat("# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n", name, " ", v, "\n");
  };
  gauge("hearth_requests_running", "requests being computed", s.running);
  gauge("hearth_requests_waiting", "requests queued for admission", s.waiting);
  gauge("hearth_kv_blocks_total", "KV cache blocks", s.kv.pool.total);
  gauge("hearth_kv_blocks_used", "KV cache blocks in use", s.kv.pool.used);
  gauge("hearth_kv_blocks_cached", "KV blocks held by the prefix cache", s.kv.pool.cached);
  gauge("hearth_kv_waste_ratio", "reserved KV slots not holding tokens", s.kv.waste_fraction);
  gauge("hearth_requests_total", "requests received", static_cast<double>(requests_total),
        "counter");
  gauge("hearth_requests_failed_total", "requests ending in an error",
        static_cast<double>(requests_failed), "counter");
  gauge("hearth_prompt_tokens_total", "prompt tokens computed",
        static_cast<double>(s.prompt_tokens), "counter");
  gauge("hearth_generation_tokens_total", "tokens generated",
        static_cast<double>(s.generated_tokens), "counter");
  gauge("hearth_prefix_cache_hit_tokens_total", "prompt tokens served from the prefix cache",
        static_cast<double>(s.prefix_hit_tokens), "counter");
  gauge("hearth_preemptions_total", "requests preempted for KV space",
        static_cast<double>(s.preemptions), "counter");
  gauge("hearth_engine_steps_total", "engine steps that ran a forward pass",
        static_cast<double>(s.steps), "counter");
  gauge("hearth_engine_step_seconds_total", "time in those steps (forward, scheduling, sampling)",
        s.step_seconds, "counter");
  gauge("hearth_engine_forward_seconds_total", "time in the forward passes of those steps",
        s.forward_seconds, "counter");
  gauge("hearth_engine_overhead_cpu_seconds_total",
        "engine thread CPU time in those steps outside the forward pass", s.overhead_cpu_seconds,
        "counter");
  ttft.render(out, "hearth_time_to_first_token_seconds", "time to first token");
  itl.render(out, "hearth_inter_token_latency_seconds", "time between generated tokens");
  e2e.render(out, "hearth_e2e_request_latency_seconds", "request latency");
  return out;
}

void Channel::push(StreamEvent ev) {
  std::lock_guard<std::mutex> lock(mu_);
  events_.push_back(std::move(ev));
  cv_.notify_one();
}

void Channel::pop(std::deque<StreamEvent>* out, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [this] { return !events_.empty(); });
  while (!events_.empty()) {
    out->push_back(std::move(events_.front()));
    events_.pop_front();
  }
}

void ChannelSink::on_token(const engine::Request& req, int32_t token, const std::string& text) {
  if (token >= 0) {
    std::lock_guard<std::mutex> m(metrics_.mu);
    double since = std::chrono::duration<double>(
                       req.t_last_token - (req.output.size() <= 1 ? req.t_arrival : last_token_))
                       .count();
    (req.output.size() <= 1 ? metrics_.ttft : metrics_.itl).observe(since);
    last_token_ = req.t_last_token;
    if (req.params.logprobs >= 0) pending_.push_back(req.last_logprob);
  }
  if (text.empty()) return;
  StreamEvent ev{text, false, engine::FinishReason::kNone, Status::Ok(), index_, {}};
  ev.logprobs.swap(pending_);
  channel_->push(std::move(ev));
}

void ChannelSink::on_finish(const engine::Request& req, engine::FinishReason r, const Status& e) {
  using std::chrono::duration_cast;
  using std::chrono::nanoseconds;
  RequestTotals t;
  t.prompt_tokens = static_cast<int>(req.prompt.size());
  t.completion_tokens = static_cast<int>(req.output.size());
  t.prefix_hit = req.num_prefix_hit;
  auto first = req.output.empty() ? req.t_finish : req.t_first_token;
  t.prompt_ns = duration_cast<nanoseconds>(first - req.t_arrival).count();
  t.eval_ns = duration_cast<nanoseconds>(req.t_finish - first).count();
  t.total_ns = duration_cast<nanoseconds>(req.t_finish - req.t_arrival).count();
  {
    std::lock_guard<std::mutex> m(metrics_.mu);
    metrics_.e2e.observe(static_cast<double>(t.total_ns) * 1e-9);
    if (r == engine::FinishReason::kError) ++metrics_.requests_failed;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    totals_ = t;
  }
  // Tokens still held back at a stop were part of the stop string: their log-probs go unsent.
  pending_.clear();
  channel_->push({"", true, r, e, index_, {}});
}

RequestTotals Submitted::totals() const {
  RequestTotals sum;
  for (size_t i = 0; i < sinks.size(); ++i) {
    RequestTotals t = sinks[i]->totals();
    if (i == 0) {
      sum = t;
      continue;
    }
    sum.completion_tokens += t.completion_tokens;
    sum.eval_ns = std::max(sum.eval_ns, t.eval_ns);
    sum.total_ns = std::max(sum.total_ns, t.total_ns);
  }
  return sum;
}

std::vector<ChoiceResult> wait_all(Submitted& sub) {
  std::vector<ChoiceResult> out(sub.reqs.size());  // (n)
  size_t open = out.size();
  std::deque<StreamEvent> events;
  while (open > 0) {
    sub.channel->pop(&events, std::chrono::milliseconds(500));
    for (StreamEvent& ev : events) {
      ChoiceResult& c = out[static_cast<size_t>(ev.index)];
      for (auto& lp : ev.logprobs) c.logprobs.push_back(std::move(lp));
      if (ev.finished) {
        c.final = std::move(ev);
        --open;
      } else {
        c.text += ev.text;
      }
    }
    events.clear();
  }
  return out;
}

void openai_error(httplib::Response& res, int status, const std::string& message,
                  const std::string& param) {
  const char* type = status == 401   ? "authentication_error"
                     : status == 404 ? "not_found_error"
                     : status >= 500 ? "server_error"
                                     : "invalid_request_error";
  json err = {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}};
  if (!param.empty()) err["param"] = param;
  if (status == 404) err["code"] = "model_not_found";
  res.status = status;
  res.set_content(dump(json{{"error", err}}), "application/json");
}

void ollama_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(dump(json{{"error", message}}), "application/json");
}

int status_http_code(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kResourceExhausted:
      return 503;
    default:
      return 500;
  }
}

bool parse_body(const httplib::Request& req, json* out, std::string* error) {
  if (req.body.empty()) {
    *error = "the request body is empty; expected a JSON object";
    return false;
  }
  try {
    *out = json::parse(req.body);
  } catch (const json::parse_error& e) {
    *error = str_cat("invalid JSON in the request body: ", e.what());
    return false;
  }
  if (!out->is_object()) {
    *error = "the request body must be a JSON object";
    return false;
  }
  return true;
}

std::string iso8601_now() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
            1000000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[96];
  std::snprintf(out, sizeof out, "%s.%06lldZ", buf, static_cast<long long>(us));
  return out;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string random_id(const std::string& prefix) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char* hex = "0123456789abcdef";
  std::string id = prefix;
  for (int i = 0; i < 24; ++i) id += hex[rng() % 16];
  return id;
}

}  // namespace hearth::server
