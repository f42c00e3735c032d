// A self-contained sampler chain for the engine: logit bias, repetition / presence / frequency
// penalties, temperature, top-k, top-p, min-p, then a draw from the request's own RNG (so a seeded
// request gives the same tokens alone or inside any batch).
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <unordered_map>

#include "engine/engine.h"
#include "kernels/vec.h"

namespace hearth::engine {
namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

struct Cand {
  int32_t id;
  float logit;
};

void apply_penalties(std::vector<Cand>& c, const Request& req) {
  const SamplingParams& p = req.params;
  if (p.repeat_penalty == 1.0f && p.presence_penalty == 0 && p.frequency_penalty == 0) return;
  std::unordered_map<int32_t, int> counts;
  int n = req.num_tokens(), from = std::max(0, n - std::max(p.repeat_last_n, 0));
  for (int i = from; i < n; ++i) ++counts[req.token_at(i)];
  for (const auto& [tok, cnt] : counts) {
    float& l = c[static_cast<size_t>(tok)].logit;
    if (p.repeat_penalty != 1.0f) l = l > 0 ? l / p.repeat_penalty : l * p.repeat_penalty;
    l -= p.presence_penalty + p.frequency_penalty * static_cast<float>(cnt);
  }
}

}  // namespace

uint64_t seed_rng(int64_t seed) {
  if (seed >= 0) return static_cast<uint64_t>(seed);
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

namespace {

// The grammar's mask: forbidden tokens get a logit of -inf.
Status apply_grammar(std::vector<Cand>& c, Request& req) {
  thread_local std::vector<uint8_t> allowed;  // (n_vocab)
  HEARTH_RETURN_IF_ERROR(req.grammar->compute_mask(allowed));
  const size_t n = std::min(c.size(), allowed.size());
  for (size_t i = 0; i < n; ++i)
    if (!allowed[i]) c[i].logit = -std::numeric_limits<float>::infinity();
  for (size_t i = n; i < c.size(); ++i) c[i].logit = -std::numeric_limits<float>::infinity();
  return Status::Ok();
}

int32_t pick_token(std::vector<Cand>& c, Request& req) {
  const SamplingParams& p = req.params;
  for (const auto& [tok, bias] : p.logit_bias)
    if (tok >= 0 && static_cast<size_t>(tok) < c.size()) c[static_cast<size_t>(tok)].logit += bias;
  apply_penalties(c, req);
  auto by_logit = [](const Cand& a, const Cand& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  if (p.temperature <= 0) {
    const Cand& best = *std::min_element(c.begin(), c.end(), by_logit);
    return std::isinf(best.logit) && best.logit < 0 && req.grammar ? -1 : best.id;
  }
  size_t k = p.top_k > 0 ? std::min<size_t>(static_cast<size_t>(p.top_k), c.size()) : c.size();
  std::partial_sort(c.begin(), c.begin() + static_cast<long>(k), c.end(), by_logit);
  c.resize(k);
  // Softmax with temperature over the survivors (sorted, c[0] is the max).
  std::vector<double> prob(k);
  double sum = 0;
  for (size_t i = 0; i < k; ++i)
    sum += prob[i] = std::exp((c[i].logit - c[0].logit) / p.temperature);
  for (double& x : prob) x /= sum;
  if (std::isinf(c[0].logit) && c[0].logit < 0) return -1;  // nothing allowed
  size_t keep = k;
  while (keep > 1 && std::isinf(c[keep - 1].logit)) --keep;  // forbidden by the grammar
  if (p.top_p < 1.0f) {
    double cum = 0;
    for (size_t i = 0; i < k; ++i) {
      cum += prob[i];
      if (cum >= p.top_p) {
        keep = i + 1;
        break;
      }
    }
  }
  if (p.min_p > 0) {
    size_t i = 1;
    while (i < keep && prob[i] >= p.min_p * prob[0]) ++i;
    keep = i;
  }
  double total = 0;
  for (size_t i = 0; i < keep; ++i) total += prob[i];
  double r = static_cast<double>(splitmix64(req.rng_state) >> 11) * 0x1.0p-53 * total;
  for (size_t i = 0; i < keep; ++i) {
    if ((r -= prob[i]) <= 0) return c[i].id;
  }
  return c[keep - 1].id;
}

}  // namespace

// The sampled token's log-probability and the top `n_top` alternatives under softmax(logits).
TokenLogprob token_logprobs(const float* logits, int n_vocab, int32_t token, int n_top) {
  float mx = *std::max_element(logits, logits + n_vocab);
  double sum = 0;
  for (int i = 0; i < n_vocab; ++i) sum += std::exp(static_cast<double>(logits[i] - mx));
  const float log_z = mx + static_cast<float>(std::log(sum));
  TokenLogprob out;
  out.token = token;
  out.logprob = logits[token] - log_z;
  std::vector<int32_t> ids(static_cast<size_t>(n_vocab));  // (n_vocab)
  for (int i = 0; i < n_vocab; ++i) ids[static_cast<size_t>(i)] = i;
  const size_t k = std::min<size_t>(static_cast<size_t>(std::max(n_top, 0)), ids.size());
  std::partial_sort(ids.begin(), ids.begin() + static_cast<long>(k), ids.end(),
                    [&](int32_t a, int32_t b) {
                      return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
                    });
  for (size_t i = 0; i < k; ++i) out.top.emplace_back(ids[i], logits[ids[i]] - log_z);
  return out;
}

namespace {

// Records the log-probabilities the request asked for (of the raw distribution, as OpenAI reports).
int32_t finish_sample(const float* logits, int n_vocab, int32_t token, Request& req) {
  if (req.params.logprobs >= 0)
    req.last_logprob = token_logprobs(logits, n_vocab, token, req.params.logprobs);
  return token;
}

// Greedy without bias or penalties: the token is the argmax of the raw logits (ties: lowest id),
// found without copying the row into candidates.
bool plain_greedy(const SamplingParams& p) {
  return p.temperature <= 0 && p.logit_bias.empty() && p.repeat_penalty == 1.0f &&
         p.presence_penalty == 0 && p.frequency_penalty == 0;
}

}  // namespace

Result<int32_t> sample_token(const float* logits, int n_vocab, Request& req) {
  if (n_vocab <= 0) return invalid_argument("no token can be sampled from an empty vocabulary");
  const bool greedy = plain_greedy(req.params);
  if (greedy) {
    const auto best = static_cast<int32_t>(kernels::argmax(logits, n_vocab));
    if (!req.grammar) return finish_sample(logits, n_vocab, best, req);
    // As the general path's unconstrained first try: keep the argmax when the grammar accepts it.
    const bool allowed = !(std::isinf(logits[best]) && logits[best] < 0);
    if (allowed && req.grammar->accept_token(best).ok())
      return finish_sample(logits, n_vocab, best, req);
  }
  std::vector<Cand> c(static_cast<size_t>(n_vocab));  // (n_vocab)
  for (int i = 0; i < n_vocab; ++i) c[static_cast<size_t>(i)] = {i, logits[i]};
  if (req.grammar) {
    // Fast path: sample as if unconstrained and keep the token when the grammar accepts it. A
    // rejected draw falls back to the full mask; for greedy and plain temperature sampling the
    // two steps together draw exactly from the distribution restricted to the allowed tokens.
    // (Plain greedy tried its argmax above.)
    if (!greedy) {
      std::vector<Cand> unmasked = c;  // (n_vocab)
      const int32_t first = pick_token(unmasked, req);
      if (first >= 0 && req.grammar->accept_token(first).ok())
        return finish_sample(logits, n_vocab, first, req);
    }
    HEARTH_RETURN_IF_ERROR(apply_grammar(c, req));
  }
  const int32_t token = pick_token(c, req);
  if (token < 0)
    return invalid_argument(
        "no token can be sampled: every token the grammar allows has a logit "
        "of -inf (check logit_bias)");
  if (req.grammar) HEARTH_RETURN_IF_ERROR(req.grammar->accept_token(token));
  return finish_sample(logits, n_vocab, token, req);
}

}  // namespace hearth::engine
