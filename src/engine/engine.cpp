#include "engine/engine.h"

#include <time.h>

#include <algorithm>

namespace hearth::engine {

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kCancelled:
      return "cancelled";
    case FinishReason::kError:
      return "error";
    case FinishReason::kNone:
      break;
  }
  return "none";
}

namespace {

// CPU time of the calling thread, seconds.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

Engine::Engine(const EngineConfig& config, BatchForward& forward, const Vocab& vocab)
    : config_(config),
      forward_(forward),
      vocab_(vocab),
      kv_(config.n_blocks, config.prefix_cache),
      scheduler_(config.sched, kv_) {}

Engine::~Engine() {
  stop();
}

Status Engine::submit(const std::shared_ptr<Request>& req) {
  const int max_len = config_.sched.max_model_len;
  if (req->prompt.empty()) return invalid_argument("the prompt is empty");
  if (req->num_tokens() >= max_len) {
    return invalid_argument("the prompt has ", req->num_tokens(), " tokens but the context holds ",
                            max_len, " (prompt plus at least one generated token)");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return resource_exhausted("the server is shutting down");
  if (num_queued_ + static_cast<int>(inbox_.size()) >= config_.max_waiting) {
    return resource_exhausted("the waiting queue is full (", config_.max_waiting,
                              " requests); retry later");
  }
  req->id = next_id_++;
  req->rng_state = seed_rng(req->params.seed);
  req->t_arrival = Clock::now();
  inbox_.push_back(req);
  wake_ = true;
  cv_.notify_one();
  return Status::Ok();
}

void Engine::cancel(const std::shared_ptr<Request>& req) {
  req->cancel_requested = true;
  std::lock_guard<std::mutex> lock(mu_);
  wake_ = true;
  cv_.notify_one();
}

void Engine::drain_inbox() {
  std::vector<std::shared_ptr<Request>> incoming;
  {
    std::lock_guard<std::mutex> lock(mu_);
    incoming.swap(inbox_);
    wake_ = false;
  }
  for (auto& req : incoming) {
    live_[req->id] = req;
    scheduler_.add(req.get());
  }
}

void Engine::finish(Request* req, FinishReason reason, const Status& error) {
  scheduler_.remove(req);
  forward_.release(req->id);
  req->finish = reason;
  req->t_finish = Clock::now();
  if (reason != FinishReason::kError && reason != FinishReason::kCancelled) {
    std::string rest = take_text(req, true);
    if (!rest.empty() && req->sink) req->sink->on_token(*req, -1, rest);
  }
  ++counters_.requests_finished;
  update_stats();  // a client that saw the end must see the blocks freed in /metrics
  if (req->sink) req->sink->on_finish(*req, reason, error);
  live_.erase(req->id);  // may destroy req
}

// Sends the part of req->text that can no longer become a stop string or a split UTF-8 character.
std::string Engine::take_text(Request* req, bool final_flush) {
  size_t end = req->text.size();
  if (!final_flush) {
    // Hold back a trailing incomplete UTF-8 sequence.
    size_t i = end, n_cont = 0;
    while (i > req->text_emitted && n_cont < 4 &&
           (static_cast<unsigned char>(req->text[i - 1]) & 0xC0) == 0x80) {
      --i;
      ++n_cont;
    }
    if (i > req->text_emitted) {
      unsigned char lead = static_cast<unsigned char>(req->text[i - 1]);
      size_t want = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
      if (want > n_cont) end = i - 1;
    }
    // Hold back a suffix that is a prefix of a stop string.
    for (const std::string& stop : req->params.stop) {
      for (size_t len = std::min(stop.size() - 1, end - req->text_emitted); len > 0; --len) {
        if (req->text.compare(end - len, len, stop, 0, len) == 0) {
          end -= len;
          break;
        }
      }
    }
  }
  if (end <= req->text_emitted) return "";
  std::string delta = req->text.substr(req->text_emitted, end - req->text_emitted);
  req->text_emitted = end;
  return delta;
}

void Engine::on_sampled(Request* req, int32_t token) {
  const Clock::time_point now = Clock::now();
  if (req->output.empty()) req->t_first_token = now;
  req->t_last_token = now;
  ++counters_.generated_tokens;
  if (!req->params.ignore_eos && vocab_.is_eog(token)) return finish(req, FinishReason::kStop);
  req->output.push_back(token);
  size_t search_from = req->text.size();
  req->text += vocab_.token_piece(token);
  for (const std::string& stop : req->params.stop) {
    if (stop.empty()) continue;
    size_t from = search_from >= stop.size() ? search_from - stop.size() + 1 : 0;
    size_t at = req->text.find(stop, from);
    if (at != std::string::npos) {
      req->text.resize(at);
      return finish(req, FinishReason::kStop);
    }
  }
  if (req->sink) req->sink->on_token(*req, token, take_text(req, false));
  if (req->grammar && req->grammar->must_end()) return finish(req, FinishReason::kStop);
  const SamplingParams& p = req->params;
  if ((p.max_tokens >= 0 && static_cast<int>(req->output.size()) >= p.max_tokens) ||
      req->num_tokens() >= config_.sched.max_model_len) {
    finish(req, FinishReason::kLength);
  }
}

bool Engine::step() {
  const Clock::time_point t_step = Clock::now();
  const double cpu_step = thread_cpu_seconds();
  drain_inbox();
  std::vector<Request*> cancelled;
  for (auto& [id, req] : live_)
    if (req->cancel_requested) cancelled.push_back(req.get());
  for (Request* r : cancelled) finish(r, FinishReason::kCancelled);

  StepPlan plan = scheduler_.schedule();
  for (Request* r : plan.preempted) forward_.release(r->id);
  for (Request* r : plan.rejected) {
    finish(r, FinishReason::kError,
           resource_exhausted(
               "the request needs ", r->num_tokens(), " tokens of KV cache but only ",
               std::min(config_.sched.max_model_len, kv_.n_blocks() * kv::kBlockSize), " fit"));
  }
  if (plan.empty()) {
    update_stats();
    return !cancelled.empty() || !plan.rejected.empty();
  }
  Batch batch = build_batch(plan, kv_);
  const int n_vocab = forward_.n_vocab();
  logits_.resize(static_cast<size_t>(batch.n_logits()) * static_cast<size_t>(n_vocab));
  const Clock::time_point t_forward = Clock::now();
  const double cpu_forward = thread_cpu_seconds();
  Status st = forward_.forward(batch, logits_.data());
  // Added to the counters with the step's time at its end, so that a snapshot taken mid-step
  // (update_stats in finish) never shows the forward of a step whose total is not counted yet.
  const double forward_s = std::chrono::duration<double>(Clock::now() - t_forward).count();
  const double cpu_in_forward = thread_cpu_seconds() - cpu_forward;
  if (!st.ok()) {
    for (const ScheduledSeq& s : plan.seqs) finish(s.req, FinishReason::kError, st);
    update_stats();
    return true;
  }
  scheduler_.complete_step(plan);
  int row = 0;
  for (const ScheduledSeq& s : plan.seqs) {
    const int prompt_end = std::min(s.end, static_cast<int>(s.req->prompt.size()));
    if (prompt_end > s.begin)
      counters_.prompt_tokens += static_cast<uint64_t>(prompt_end - s.begin);
    if (!s.sample) continue;
    const float* lg = logits_.data() + static_cast<size_t>(row++) * static_cast<size_t>(n_vocab);
    Result<int32_t> token = sample_token(lg, n_vocab, *s.req);
    if (!token.ok()) {
      finish(s.req, FinishReason::kError, token.status());
      continue;
    }
    on_sampled(s.req, *token);
  }
  ++counters_.steps;
  counters_.forward_seconds += forward_s;
  counters_.step_seconds += std::chrono::duration<double>(Clock::now() - t_step).count();
  counters_.overhead_cpu_seconds += thread_cpu_seconds() - cpu_step - cpu_in_forward;
  update_stats();
  return true;
}

void Engine::update_stats() {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.running = static_cast<int>(scheduler_.num_running());
  stats_.waiting = static_cast<int>(scheduler_.num_waiting());
  num_queued_ = stats_.waiting;
  stats_.kv = kv_.stats();
  stats_.preemptions = scheduler_.total_preemptions();
  stats_.prefix_hit_tokens = scheduler_.prefix_hit_tokens();
  stats_.steps = counters_.steps;
  stats_.prompt_tokens = counters_.prompt_tokens;
  stats_.generated_tokens = counters_.generated_tokens;
  stats_.requests_finished = counters_.requests_finished;
  stats_.step_seconds = counters_.step_seconds;
  stats_.forward_seconds = counters_.forward_seconds;
  stats_.overhead_cpu_seconds = counters_.overhead_cpu_seconds;
}

EngineStats Engine::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  EngineStats s = stats_;
  s.waiting += static_cast<int>(inbox_.size());
  return s;
}

void Engine::start() {
  thread_ = std::thread([this] {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (stopping_) break;
      }
      if (step()) continue;
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return wake_ || stopping_; });
    }
  });
}

void Engine::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  drain_inbox();
  std::vector<Request*> all;
  for (auto& [id, req] : live_) all.push_back(req.get());
  for (Request* r : all) finish(r, FinishReason::kCancelled);
}

}  // namespace hearth::engine
