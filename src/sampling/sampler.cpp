#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

namespace hearth::sampling {

Status validate(const SamplerParams& p) {
  if (std::isnan(p.temperature)) return invalid_argument("temperature must be a number");
  if (!(p.top_p > 0.0f)) return invalid_argument("top-p must be > 0 (got ", p.top_p, ")");
  if (p.min_p < 0.0f || p.min_p > 1.0f)
    return invalid_argument("min-p must be in [0, 1] (got ", p.min_p, ")");
  if (!(p.repeat_penalty > 0.0f))
    return invalid_argument("repeat penalty must be > 0 (got ", p.repeat_penalty, ")");
  if (p.penalty_last_n < -1) return invalid_argument("penalty last-n must be >= -1");
  return Status::Ok();
}

int32_t argmax(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

Sampler::Sampler(SamplerParams params) : params_(std::move(params)), rng_(params_.seed) {}

void Sampler::accept(int32_t token) {
  if (params_.penalty_last_n == 0) return;
  history_.push_back(token);
  if (params_.penalty_last_n > 0 && history_.size() > static_cast<size_t>(params_.penalty_last_n))
    history_.pop_front();
}

void Sampler::reset() {
  history_.clear();
}

void Sampler::apply_bias(std::vector<Candidate>& c) const {
  for (const auto& [id, bias] : params_.logit_bias)
    if (id >= 0 && static_cast<size_t>(id) < c.size() && c[id].id == id) c[id].logit += bias;
}

void Sampler::apply_penalties(std::vector<Candidate>& c) const {
  if (history_.empty()) return;
  if (params_.repeat_penalty == 1.0f && params_.presence_penalty == 0.0f &&
      params_.frequency_penalty == 0.0f)
    return;
  std::unordered_map<int32_t, int> counts;
  for (int32_t t : history_) ++counts[t];
  for (Candidate& cand : c) {
    auto it = counts.find(cand.id);
    if (it == counts.end()) continue;
    float& l = cand.logit;
    l = l > 0 ? l / params_.repeat_penalty : l * params_.repeat_penalty;
    l -= it->second * params_.frequency_penalty + params_.presence_penalty;
  }
}

namespace {
bool by_logit_desc(const Candidate& a, const Candidate& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}
}  // namespace

void Sampler::top_k(std::vector<Candidate>& c, int k) {
  if (k <= 0 || static_cast<size_t>(k) >= c.size()) {
    std::sort(c.begin(), c.end(), by_logit_desc);
    return;
  }
  std::partial_sort(c.begin(), c.begin() + k, c.end(), by_logit_desc);
  c.resize(k);
}

void Sampler::softmax(std::vector<Candidate>& c) {
  float max_logit = -std::numeric_limits<float>::infinity();
  for (const Candidate& x : c) max_logit = std::max(max_logit, x.logit);
  double sum = 0;
  for (Candidate& x : c) {
    x.p = std::exp(x.logit - max_logit);
    sum += x.p;
  }
  for (Candidate& x : c) x.p = static_cast<float>(x.p / sum);
}

void Sampler::top_p(std::vector<Candidate>& c, float p) {
  if (p >= 1.0f || c.empty()) return;
  std::sort(c.begin(), c.end(), by_logit_desc);
  softmax(c);
  double cum = 0;
  size_t keep = c.size();
  for (size_t i = 0; i < c.size(); ++i) {
    cum += c[i].p;
    if (cum >= p) {
      keep = i + 1;
      break;
    }
  }
  c.resize(keep);
}

void Sampler::min_p(std::vector<Candidate>& c, float p) {
  if (p <= 0.0f || c.empty()) return;
  float max_logit = -std::numeric_limits<float>::infinity();
  for (const Candidate& x : c) max_logit = std::max(max_logit, x.logit);
  const float threshold = max_logit + std::log(p);  // p_i >= p * p_max  <=>  l_i >= l_max + log p
  std::erase_if(c, [&](const Candidate& x) { return x.logit < threshold; });
}

int32_t Sampler::sample(std::span<const float> logits) {
  std::vector<Candidate> c(logits.size());  // (n_vocab) then fewer
  for (size_t i = 0; i < logits.size(); ++i) c[i] = {static_cast<int32_t>(i), logits[i], 0.0f};
  apply_bias(c);
  apply_penalties(c);
  if (params_.temperature <= 0.0f) {
    return std::max_element(
               c.begin(), c.end(),
               [](const Candidate& a, const Candidate& b) { return by_logit_desc(b, a); })
        ->id;
  }
  top_k(c, params_.top_k);
  top_p(c, params_.top_p);
  min_p(c, params_.min_p);
  for (Candidate& x : c) x.logit /= params_.temperature;
  softmax(c);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  double r = uniform(rng_), cum = 0;
  for (const Candidate& x : c) {
    cum += x.p;
    if (r < cum) return x.id;
  }
  return c.back().id;
}

}  // namespace hearth::sampling
