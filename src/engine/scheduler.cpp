#include "engine/scheduler.h"

#include <algorithm>

namespace hearth::engine {

Scheduler::Scheduler(const SchedulerConfig& config, kv::KVCacheManager& kv)
    : config_(config), kv_(kv) {}

void Scheduler::add(Request* req) {
  req->state = RequestState::kWaiting;
  waiting_.push_back(req);
}

void Scheduler::preempt(Request* victim, StepPlan* plan) {
  // A victim already scheduled this step gives its tokens back.
  auto it = std::find_if(plan->seqs.begin(), plan->seqs.end(),
                         [&](const ScheduledSeq& s) { return s.req == victim; });
  if (it != plan->seqs.end()) {
    plan->num_tokens -= it->end - it->begin;
    plan->seqs.erase(it);
  }
  kv_.free(victim->id);
  victim->num_computed = 0;
  victim->state = RequestState::kWaiting;
  ++victim->num_preemptions;
  ++preemptions_;
  running_.erase(std::find(running_.begin(), running_.end(), victim));
  waiting_.push_front(victim);
  plan->preempted.push_back(victim);
}

bool Scheduler::schedule_running(Request* req, int* budget, StepPlan* plan) {
  int num_new = std::min(req->num_tokens() - req->num_computed, *budget);
  if (num_new <= 0) return true;
  std::vector<kv::BlockId> no_hits;
  while (!kv_.allocate(req->id, req->num_computed + num_new, no_hits, &plan->copies)) {
    Request* victim = running_.back();  // newest first
    preempt(victim, plan);
    if (victim == req) return false;
  }
  ScheduledSeq s{req, req->num_computed, req->num_computed + num_new,
                 req->num_computed + num_new == req->num_tokens()};
  req->num_computed = s.end;
  plan->seqs.push_back(s);
  plan->num_tokens += num_new;
  *budget -= num_new;
  return true;
}

bool Scheduler::admit(Request* req, int* budget, StepPlan* plan) {
  std::vector<int32_t> tokens = req->all_tokens();
  std::vector<kv::BlockId> hits;
  // Never hit the whole sequence: the last token is computed to get its logits.
  int hit = kv_.find_cached_prefix(tokens.data(), req->num_tokens() - 1, &hits);
  int num_new = req->num_tokens() - hit;
  if (!config_.chunked_prefill && num_new > *budget) return false;
  num_new = std::min(num_new, *budget);
  if (!kv_.allocate(req->id, hit + num_new, hits, &plan->copies)) return false;
  req->num_prefix_hit = hit;
  prefix_hit_tokens_ += static_cast<uint64_t>(hit);
  ScheduledSeq s{req, hit, hit + num_new, hit + num_new == req->num_tokens()};
  req->num_computed = s.end;
  req->state = RequestState::kRunning;
  running_.push_back(req);
  plan->seqs.push_back(s);
  plan->num_tokens += num_new;
  *budget -= num_new;
  return true;
}

StepPlan Scheduler::schedule() {
  StepPlan plan;
  int budget = config_.max_tokens_per_step;
  // Decodes first (one token short), then unfinished prefills, each in admission order.
  std::vector<Request*> order;
  for (Request* r : running_)
    if (r->num_tokens() - r->num_computed == 1) order.push_back(r);
  for (Request* r : running_)
    if (r->num_tokens() - r->num_computed > 1) order.push_back(r);
  for (Request* req : order) {
    if (budget <= 0) break;
    if (req->state != RequestState::kRunning) continue;  // preempted earlier this step
    schedule_running(req, &budget, &plan);
  }
  if (!plan.preempted.empty()) return plan;  // no admissions while memory is short
  while (!waiting_.empty() && budget > 0 &&
         static_cast<int>(running_.size()) < config_.max_num_seqs) {
    Request* req = waiting_.front();
    if (req->num_tokens() > config_.max_model_len ||
        kv::KVCacheManager::blocks_for(req->num_tokens()) > kv_.n_blocks()) {
      waiting_.pop_front();  // can never fit
      req->state = RequestState::kFinished;
      plan.rejected.push_back(req);
      continue;
    }
    if (!admit(req, &budget, &plan)) break;
    waiting_.pop_front();
  }
  return plan;
}

void Scheduler::complete_step(const StepPlan& plan) {
  for (const ScheduledSeq& s : plan.seqs) {
    if (s.req->state != RequestState::kRunning) continue;
    // New full blocks appear only when the computed range crosses a block boundary.
    if (s.end / kv::kBlockSize == s.begin / kv::kBlockSize) continue;
    std::vector<int32_t> tokens = s.req->all_tokens();
    kv_.cache_computed(s.req->id, tokens.data(), s.req->num_computed);
  }
}

void Scheduler::remove(Request* req) {
  auto r = std::find(running_.begin(), running_.end(), req);
  if (r != running_.end()) running_.erase(r);
  auto w = std::find(waiting_.begin(), waiting_.end(), req);
  if (w != waiting_.end()) waiting_.erase(w);
  kv_.free(req->id);
  req->state = RequestState::kFinished;
}

}  // namespace hearth::engine
